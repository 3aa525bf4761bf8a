//! The audit log of the management page: every change to the challenge,
//! who made it, and what it said, in words.

use crate::challenges::queries::{ActorName, AuditItem};
use crate::frontend::format::{amount, Stamp};
use crate::frontend::labels::state_code_label;
use crate::i18n::Tr;

/// An audit record as listed.
#[derive(Debug, Clone)]
pub struct AuditRow {
    pub who: String,
    pub what: String,
    pub detail: String,
    pub when: Stamp,
}

/// The records as listed (amounts in the challenge's `currency`).
pub fn rows(t: Tr, audit: &[AuditItem], currency: &str) -> Vec<AuditRow> {
    audit
        .iter()
        .map(|item| {
            let (what, detail) = audit_words(t, item, currency);
            AuditRow {
                who: match &item.actor {
                    ActorName::User(n) => n.clone(),
                    ActorName::Key(n) => t.fmt("manage.audit.api_key", &[("name", n)]),
                    ActorName::System => t.get("manage.audit.system").to_owned(),
                },
                what,
                detail,
                when: Stamp::of(item.record.created_at),
            }
        })
        .collect()
}

/// An amount of the record's data, for people.
fn money_field(t: Tr, data: &serde_json::Value, name: &str, currency: &str) -> Option<String> {
    data.get(name)
        .and_then(|v| v.as_i64())
        .map(|a| amount(t, a, currency))
}

/// What an audit record says, in words: the action and its details.
fn audit_words(t: Tr, item: &AuditItem, currency: &str) -> (String, String) {
    let d = &item.data;
    let text = |name: &str| d.get(name).and_then(|v| v.as_str()).map(str::to_owned);
    let number = |name: &str| d.get(name).and_then(|v| v.as_i64()).map(|n| n.to_string());
    let (what, detail) = match item.record.action.as_str() {
        "challenge.created" => (t.get("manage.audit.created"), None),
        "challenge.updated" => (t.get("manage.audit.updated"), None),
        "challenge.transition" => {
            let from = text("from")
                .map(|s| state_code_label(t, &s))
                .unwrap_or_default();
            let to = text("to")
                .map(|s| state_code_label(t, &s))
                .unwrap_or_default();
            let mut detail = format!("{from} → {to}");
            if text("reason").as_deref() == Some("deadline") {
                detail = format!("{detail} ({})", t.get("manage.audit.by_deadline"));
            }
            (t.get("manage.audit.transition"), Some(detail))
        }
        "challenge.review_requested" => (t.get("manage.audit.review_requested"), None),
        "challenge.review_approved" => (t.get("manage.audit.review_approved"), text("comment")),
        "challenge.changes_requested" => (t.get("manage.audit.changes_requested"), text("comment")),
        "challenge.rules_published" => (
            t.get("manage.audit.rules_published"),
            number("version").map(|v| t.fmt("manage.rules.version", &[("n", &v)])),
        ),
        "funding.requested" => (
            t.get("manage.audit.funding_requested"),
            money_field(t, d, "amount", currency),
        ),
        "funding.confirmed" => {
            let amount = money_field(t, d, "amount", currency).unwrap_or_default();
            let detail = match text("reference") {
                Some(r) => format!("{amount} · {r}"),
                None => amount,
            };
            (t.get("manage.audit.funding_confirmed"), Some(detail))
        }
        "escrow.refunded" => (
            t.get("manage.audit.refunded"),
            money_field(t, d, "amount", currency),
        ),
        "announcement.posted" => (
            t.get("manage.audit.announced"),
            number("recipients").map(|n| match n.as_str() {
                "1" => t.get("manage.audit.recipients_one").to_owned(),
                _ => t.fmt("manage.audit.recipients", &[("n", &n)]),
            }),
        ),
        "registration.created" => (t.get("manage.audit.registered"), None),
        "registration.rules_accepted" => (
            t.get("manage.audit.rules_accepted"),
            number("rules_version").map(|v| t.fmt("manage.rules.version", &[("n", &v)])),
        ),
        other => (other, None),
    };
    (what.to_owned(), detail.unwrap_or_default())
}
