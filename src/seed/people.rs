//! The demo people: organisation staff, solvers and judges from outside the
//! organisations, each a verified account with the demo password.

use super::timeline::Clock;
use super::{day, failed, DEMO_PASSWORD};
use crate::auth::store::{self as users, NewUser, User};
use crate::db::now;
use crate::state::AppState;

/// A demo person: a key the script refers to them by, and their account.
pub(super) struct Person {
    pub(super) key: &'static str,
    pub(super) email: &'static str,
    pub(super) name: &'static str,
    pub(super) language: &'static str,
}

/// Everyone in the demo community but the platform admin.
pub(super) const PEOPLE: &[Person] = &[
    Person {
        key: "amina",
        email: "amina.diallo@aquacommons.example",
        name: "Amina Diallo",
        language: "en",
    },
    Person {
        key: "tomas",
        email: "tomas.berg@aquacommons.example",
        name: "Tomás Berg",
        language: "en",
    },
    Person {
        key: "lea",
        email: "lea.moreau@northbridge-mobility.example",
        name: "Léa Moreau",
        language: "fr",
    },
    Person {
        key: "sam",
        email: "sam.okoro@northbridge-mobility.example",
        name: "Sam Okoro",
        language: "en",
    },
    Person {
        key: "priya",
        email: "priya.raman@eastmoor-open-science.example",
        name: "Dr Priya Raman",
        language: "en",
    },
    Person {
        key: "jonah",
        email: "jonah.whitfield@eastmoor-open-science.example",
        name: "Jonah Whitfield",
        language: "en",
    },
    Person {
        key: "kofi",
        email: "kofi.mensah@example.net",
        name: "Kofi Mensah",
        language: "en",
    },
    Person {
        key: "maria",
        email: "maria.gonzalez@example.net",
        name: "María González",
        language: "en",
    },
    Person {
        key: "chen",
        email: "chen.wei@example.net",
        name: "Chen Wei",
        language: "en",
    },
    Person {
        key: "anna",
        email: "anna.kowalska@example.net",
        name: "Anna Kowalska",
        language: "en",
    },
    Person {
        key: "ravi",
        email: "ravi.patel@example.net",
        name: "Ravi Patel",
        language: "en",
    },
    Person {
        key: "fatima",
        email: "fatima.elamrani@example.net",
        name: "Fatima Zahra El Amrani",
        language: "en",
    },
    Person {
        key: "jules",
        email: "jules.martin@example.net",
        name: "Jules Martin",
        language: "fr",
    },
    Person {
        key: "emma",
        email: "emma.lindqvist@example.net",
        name: "Emma Lindqvist",
        language: "en",
    },
    // Judges: experts from outside the organising organisations, invited
    // per challenge (see `super::judging`).
    Person {
        key: "ngozi",
        email: "ngozi.okafor@example.org",
        name: "Ngozi Okafor",
        language: "en",
    },
    Person {
        key: "pedro",
        email: "pedro.alves@example.org",
        name: "Pedro Alves",
        language: "en",
    },
    Person {
        key: "hannah",
        email: "hannah.weiss@example.org",
        name: "Dr Hannah Weiss",
        language: "en",
    },
    Person {
        key: "ines",
        email: "ines.carvalho@example.org",
        name: "Inês Carvalho",
        language: "en",
    },
    Person {
        key: "marcus",
        email: "marcus.feld@example.org",
        name: "Marcus Feld",
        language: "en",
    },
];

/// The demo people once created, by their key in the script.
pub(super) struct People(Vec<(&'static str, User)>);

impl People {
    /// The account of the person the script calls `key`.
    pub(super) fn get(&self, key: &str) -> anyhow::Result<User> {
        self.0
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, u)| u.clone())
            .ok_or_else(|| anyhow::anyhow!("no demo person {key:?}"))
    }
}

/// Creates every demo person: verified accounts sharing one password
/// (hashed once), who joined over a few months before the first challenge.
pub(super) async fn create(
    state: &AppState,
    clock: &mut Clock,
    step: &(dyn Fn(&str) + Sync),
) -> anyhow::Result<People> {
    let hash = state
        .cpu(|| crate::auth::crypto::hash_password(DEMO_PASSWORD))
        .await
        .map_err(|e| failed("hashing the demo password", e))?
        .map_err(|e| anyhow::anyhow!("hashing the demo password: {e}"))?;
    let mut people = Vec::new();
    for (i, p) in PEOPLE.iter().enumerate() {
        clock.at(day(-200 + 3 * i as i64, 9 + (i % 8) as u32));
        let hash = hash.clone();
        let user = state
            .tx(move |c| {
                users::create_user(
                    c,
                    NewUser {
                        email: p.email,
                        display_name: p.name,
                        password_hash: &hash,
                        language: p.language,
                        verified: true,
                        platform_admin: false,
                    },
                    now(),
                )
            })
            .await
            .map_err(|e| failed(&format!("creating {}", p.email), e))?;
        people.push((p.key, user));
        step(p.email);
    }
    Ok(People(people))
}
