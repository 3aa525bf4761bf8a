//! People's own data: everything Tribu holds about a person, downloadable
//! as one zip ([`export`]), and deleting one's account ([`delete`]).

pub mod api;
pub mod delete;
pub mod export;
