//! The names people read for the codes of challenges: states, kinds and
//! categories. One translation of each, in the `challenges.` catalogue,
//! for every page that shows them (the public list and page, the
//! organisation's dashboard and management page, the admin's queue).

use crate::challenges::model::{Kind, State};
use crate::i18n::Tr;

/// The translated name of a challenge state.
pub fn state_label(t: Tr, s: State) -> &'static str {
    match s {
        State::Draft => t.get("challenges.state.draft"),
        State::Open => t.get("challenges.state.open"),
        State::Closed => t.get("challenges.state.closed"),
        State::Judging => t.get("challenges.state.judging"),
        State::Awarded => t.get("challenges.state.awarded"),
        State::Settled => t.get("challenges.state.settled"),
        State::Cancelled => t.get("challenges.state.cancelled"),
    }
}

/// The translated name of a stored state code (the code itself if unknown).
pub fn state_code_label(t: Tr, code: &str) -> String {
    State::parse(code)
        .map(|s| state_label(t, s).to_owned())
        .unwrap_or_else(|| code.to_owned())
}

/// The translated name of a category (the raw value if unknown).
pub fn category_label(t: Tr, c: &str) -> String {
    match c {
        "health" => t.get("challenges.category.health"),
        "environment" => t.get("challenges.category.environment"),
        "energy" => t.get("challenges.category.energy"),
        "water" => t.get("challenges.category.water"),
        "food" => t.get("challenges.category.food"),
        "education" => t.get("challenges.category.education"),
        "technology" => t.get("challenges.category.technology"),
        "science" => t.get("challenges.category.science"),
        "social" => t.get("challenges.category.social"),
        "design" => t.get("challenges.category.design"),
        "other" => t.get("challenges.category.other"),
        other => other,
    }
    .to_owned()
}

/// The translated name of a kind of challenge (the raw value if unknown).
pub fn kind_label(t: Tr, k: &str) -> String {
    match Kind::parse(k) {
        Some(Kind::Ideation) => t.get("challenges.kind.ideation"),
        Some(Kind::Theoretical) => t.get("challenges.kind.theoretical"),
        Some(Kind::ReductionToPractice) => t.get("challenges.kind.reduction_to_practice"),
        Some(Kind::Software) => t.get("challenges.kind.software"),
        Some(Kind::Design) => t.get("challenges.kind.design"),
        None => k,
    }
    .to_owned()
}

/// A payout's or refund's state, for people.
pub fn payout_status_label(t: Tr, s: crate::payouts::model::Status) -> &'static str {
    use crate::payouts::model::Status;
    match s {
        Status::Pending => t.get("payout.status.pending"),
        Status::Submitted => t.get("payout.status.submitted"),
        Status::Paid => t.get("payout.status.paid"),
        Status::Failed => t.get("payout.status.failed"),
    }
}

/// What a licence lets others do, in one line, for the common families
/// (Creative Commons by their elements, the permissive and copyleft code
/// licences); empty for the rest, which show their name only.
pub fn licence_meaning(t: Tr, id: &str) -> &'static str {
    let id = id.to_ascii_uppercase();
    let key = if id == "CC0-1.0" {
        "licence.meaning.cc0"
    } else if let Some(rest) = id.strip_prefix("CC-BY") {
        match (
            rest.contains("-NC"),
            rest.contains("-ND"),
            rest.contains("-SA"),
        ) {
            (false, false, false) => "licence.meaning.by",
            (false, false, true) => "licence.meaning.by_sa",
            (false, true, _) => "licence.meaning.by_nd",
            (true, false, false) => "licence.meaning.by_nc",
            (true, false, true) => "licence.meaning.by_nc_sa",
            (true, true, _) => "licence.meaning.by_nc_nd",
        }
    } else if id == "MIT" || id.starts_with("BSD-") || id == "ISC" || id == "0BSD" {
        "licence.meaning.permissive"
    } else if id == "APACHE-2.0" {
        "licence.meaning.apache"
    } else if id.starts_with("AGPL-") {
        "licence.meaning.agpl"
    } else if id.starts_with("LGPL-") || id.starts_with("MPL-") {
        "licence.meaning.weak_copyleft"
    } else if id.starts_with("GPL-") {
        "licence.meaning.gpl"
    } else {
        return "";
    };
    t.get(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::challenges::model::CATEGORIES;
    use crate::i18n::Language;

    #[test]
    fn every_state_category_and_kind_has_a_label() {
        for lang in Language::ALL {
            let t = Tr::new(lang);
            for s in State::ALL {
                assert!(!state_label(t, s).starts_with("challenges."));
                assert_eq!(state_code_label(t, s.as_str()), state_label(t, s));
            }
            for c in CATEGORIES {
                assert!(!category_label(t, c).starts_with("challenges."));
            }
            for k in Kind::ALL {
                assert!(!kind_label(t, k.as_str()).starts_with("challenges."));
            }
        }
        assert_eq!(
            state_code_label(Tr::new(Language::En), "unknown"),
            "unknown"
        );
    }
}
