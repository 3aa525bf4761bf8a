//! Money: a double-entry ledger in integer minor units. Every movement is one
//! journal entry whose lines sum to zero per currency; balances are derived
//! from the lines, never stored on their own. The flows that move money
//! (funding, refunds) live with the challenges they belong to; the report
//! of every challenge's money is [`report`], and [`reconcile`] compares the
//! ledger with what the payment provider says it sent.

pub mod api;
pub mod model;
pub mod pages;
pub mod provider;
pub mod reconcile;
pub mod report;
pub mod store;
