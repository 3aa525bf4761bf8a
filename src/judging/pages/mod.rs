//! HTML pages of judging: for judges, the invitation a link opens
//! ([`invitation`]), their workspace ([`workspace`]: invitations, queue,
//! conflicts) and the scoring form ([`score`]); for the organisation, the
//! judging console ([`console`]: panel and rounds) and a round's page
//! ([`round`]: rubric, assignment, progress, leaderboard, results); for
//! everyone, published results and the method ([`public`]).

pub mod console;
pub mod invitation;
pub mod public;
pub mod round;
pub mod score;
pub mod workspace;

use crate::i18n::Tr;

/// The translated name of a round state.
pub fn round_state_label(t: Tr, state: &str) -> &'static str {
    match state {
        "open" => t.get("judging.round_state.open"),
        "closed" => t.get("judging.round_state.closed"),
        _ => t.get("judging.round_state.draft"),
    }
}

/// The translated reading of an agreement level.
pub fn agreement_label(t: Tr, level: &str) -> &'static str {
    match level {
        "strong" => t.get("judging.agreement.strong"),
        "fair" => t.get("judging.agreement.fair"),
        "partial" => t.get("judging.agreement.partial"),
        _ => t.get("judging.agreement.weak"),
    }
}

/// The translated state of a scorecard (none yet, draft, submitted).
pub fn card_label(t: Tr, state: Option<&str>) -> &'static str {
    match state {
        Some("submitted") => t.get("judging.card.submitted"),
        Some(_) => t.get("judging.card.draft"),
        None => t.get("judging.card.todo"),
    }
}

/// A score for people: one decimal, the French comma in French.
pub fn score_text(t: Tr, x: f64) -> String {
    let s = format!("{x:.1}");
    match t.lang {
        crate::i18n::Language::Fr => s.replace('.', ","),
        crate::i18n::Language::En => s,
    }
}
