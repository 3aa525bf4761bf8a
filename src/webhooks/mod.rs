//! Outgoing webhooks for integrations: endpoints per organisation, signed
//! deliveries through their own outbox, retries, a delivery log. See
//! [`service`] for the flow and [`model`] for the rules.

pub mod api;
pub mod model;
pub mod pages;
pub mod service;
pub mod store;
