//! HTML pages of challenges: `public` for visitors and solvers (home, list,
//! search, the challenge page, registration, questions), `manage` for
//! organisations (dashboard, the step form, the management page and its
//! sections), `admin` for platform admins (funding and review queues,
//! settings).
//!
//! Pages parse, call one use case of [`super::service`] or one read of
//! [`super::queries`], and render with the machinery of
//! [`crate::frontend`]; they reach no store, ledger or database.

pub mod admin;
pub mod manage;
pub mod public;

use crate::challenges::queries::TierView;
use crate::frontend::format::money;
use crate::i18n::Tr;

/// A prize tier as every challenge page shows it.
#[derive(Debug, Clone)]
pub struct PrizeLine {
    pub rank: i32,
    pub label: String,
    /// The amount for people, in the page's language.
    pub amount: String,
}

/// The prize tiers of a challenge, ranked, for people.
pub fn prize_lines(t: Tr, tiers: &[TierView]) -> Vec<PrizeLine> {
    tiers
        .iter()
        .map(|tier| PrizeLine {
            rank: tier.rank,
            label: tier.label.clone(),
            amount: money(t, &tier.amount),
        })
        .collect()
}
