//! Organisations: members with roles, invitations by email, API keys.

pub mod api;
pub mod model;
pub mod pages;
pub mod queries;
pub mod service;
pub mod store;
