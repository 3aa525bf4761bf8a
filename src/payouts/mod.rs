//! Payouts and refunds: money leaving the platform once results (or a
//! cancellation) have moved a challenge's escrow. One payout per payable
//! (award × team member), one refund per challenge; each follows the state
//! machine of [`model`] and is journaled once when paid. A challenge is
//! `settled` when all of them are paid.

pub mod accounts;
pub mod api;
pub mod model;
pub mod pages;
pub mod queries;
pub mod runner;
pub mod service;
pub mod store;
pub mod webhook;
