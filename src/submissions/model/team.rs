//! Team rules, pure: who must agree before an entry is withdrawn, who may
//! change that, and how members who joined later are named among the
//! copyright holders.

/// Who may withdraw a team's entry.
pub mod withdrawal {
    /// Every member must agree (the default).
    pub const TEAM: &str = "team";
    /// The team's creator decides alone, as the team chose.
    pub const CREATOR: &str = "creator";

    /// The mode named `raw`, if it is one.
    pub fn parse(raw: &str) -> Option<&'static str> {
        [TEAM, CREATOR].into_iter().find(|m| *m == raw)
    }
}

/// Whether a withdrawal has the agreement it needs: the creator's alone in
/// [`withdrawal::CREATOR`] mode, else every current member's.
pub fn withdrawal_agreed(mode: &str, creator: &str, members: &[&str], votes: &[&str]) -> bool {
    if mode == withdrawal::CREATOR {
        return votes.contains(&creator);
    }
    !members.is_empty() && members.iter().all(|m| votes.contains(m))
}

/// Whether `user` may agree to a withdrawal in `mode`: in creator mode the
/// others have no say.
pub fn may_vote(mode: &str, creator: &str, user: &str) -> bool {
    mode != withdrawal::CREATOR || user == creator
}

/// Why the withdrawal rule may not change from `from` to `to`, if it may
/// not. Anyone in the team may make it stricter (everyone must agree); only
/// a team of one may give its creator the sole say, because a rule that
/// lets one person act for the others needs the others' consent, and those
/// who join later see the rule before they accept.
pub fn may_change_withdrawal(from: &str, to: &str, members: usize) -> Result<(), &'static str> {
    if from == to || to == withdrawal::TEAM || members <= 1 {
        Ok(())
    } else {
        Err("team_consent_required")
    }
}

/// The copyright holders as published: the names the team wrote, then each
/// credited member (joined later, named by the team's rule, not anonymous)
/// whose name the text does not already hold.
pub fn holders_line(written: &str, credited: &[String]) -> String {
    let mut out = written.trim().to_owned();
    for name in credited {
        let name = name.trim();
        if name.is_empty() || out.to_lowercase().contains(&name.to_lowercase()) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push_str(name);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_whole_team_or_the_creator() {
        let m = ["ana", "bo", "cy"];
        assert!(!withdrawal_agreed(
            withdrawal::TEAM,
            "ana",
            &m,
            &["ana", "bo"]
        ));
        assert!(withdrawal_agreed(
            withdrawal::TEAM,
            "ana",
            &m,
            &["cy", "bo", "ana"]
        ));
        assert!(withdrawal_agreed(withdrawal::CREATOR, "ana", &m, &["ana"]));
        assert!(!withdrawal_agreed(
            withdrawal::CREATOR,
            "ana",
            &m,
            &["bo", "cy"]
        ));
        assert!(!withdrawal_agreed(withdrawal::TEAM, "ana", &[], &[]));
        assert!(may_vote(withdrawal::TEAM, "ana", "bo"));
        assert!(!may_vote(withdrawal::CREATOR, "ana", "bo"));
        assert_eq!(withdrawal::parse("creator"), Some(withdrawal::CREATOR));
        assert_eq!(withdrawal::parse("anyone"), None);
    }

    #[test]
    fn only_a_team_of_one_hands_the_say_to_its_creator() {
        assert!(may_change_withdrawal(withdrawal::TEAM, withdrawal::CREATOR, 1).is_ok());
        assert_eq!(
            may_change_withdrawal(withdrawal::TEAM, withdrawal::CREATOR, 2),
            Err("team_consent_required")
        );
        assert!(may_change_withdrawal(withdrawal::CREATOR, withdrawal::TEAM, 3).is_ok());
    }

    #[test]
    fn holders_name_each_credited_member_once() {
        let c = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            holders_line("Ana Costa", &c(&["Bo Li"])),
            "Ana Costa, Bo Li"
        );
        assert_eq!(
            holders_line("Ana Costa, bo li", &c(&["Bo Li"])),
            "Ana Costa, bo li"
        );
        assert_eq!(holders_line("Ana", &c(&["Bo", "Bo", " "])), "Ana, Bo");
        assert_eq!(holders_line("Ana", &[]), "Ana");
    }

    proptest! {
        #[test]
        fn a_member_missing_blocks_a_team_withdrawal(n in 1usize..6, missing in 0usize..6) {
            let members: Vec<String> = (0..n).map(|i| format!("u{i}")).collect();
            let refs: Vec<&str> = members.iter().map(String::as_str).collect();
            let votes: Vec<&str> = refs.iter().copied().filter(|m| *m != format!("u{missing}")).collect();
            prop_assert_eq!(
                withdrawal_agreed(withdrawal::TEAM, "u0", &refs, &votes),
                missing >= n
            );
        }

        #[test]
        fn holders_keep_what_was_written_and_name_everyone(
            written in "[A-Za-z ]{0,20}",
            names in proptest::collection::vec("[A-Z][a-z]{1,6}", 0..4),
        ) {
            let line = holders_line(&written, &names);
            prop_assert!(line.starts_with(written.trim()));
            let lower = line.to_lowercase();
            for n in &names {
                prop_assert!(lower.contains(&n.to_lowercase()));
            }
            prop_assert_eq!(holders_line(&line, &names), line.clone());
        }
    }
}
