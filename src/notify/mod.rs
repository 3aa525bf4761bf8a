//! Notifications: every email is a row of the outbox, written in the same
//! transaction as the change that caused it, and sent later by the worker
//! with retries and exponential backoff. Nothing is sent inside a request.

pub mod mail;
pub mod model;
pub mod store;
pub mod worker;
