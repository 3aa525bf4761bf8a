//! What the validators enforce, said in the OpenAPI document: enums, lengths
//! and ranges that derive macros cannot see because the request structs
//! carry plain strings and integers (so a bad value gets a 422 naming the
//! field, not a serde error).
//!
//! Each constraint is stated exactly as the server applies it: a value the
//! schema allows is never refused for that reason, and a value it forbids is
//! always refused. Enums come from the model's own lists where there is one.
//! Texts are measured as the validators measure them: `minLength` is the
//! minimum once trimmed (so a padded text may still get a 422, which the
//! operation documents), `maxLength` the maximum as sent.

use serde_json::{json, Value};

use crate::auth::model::{Language, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
use crate::challenges::model::{Kind, Visibility, CATEGORIES};
use crate::orgs::model::Scope;

/// A string of `min` (trimmed) to `max` (as sent) characters.
fn text(min: usize, max: usize) -> Value {
    json!({ "minLength": min, "maxLength": max })
}

/// An integer from `min` to `max`.
fn range(min: i64, max: i64) -> Value {
    json!({ "minimum": min, "maximum": max })
}

/// One of `values`.
fn one_of(values: Vec<String>) -> Value {
    json!({ "enum": values })
}

fn languages() -> Vec<String> {
    Language::ALL.iter().map(|l| l.code().to_owned()).collect()
}

fn roles() -> Vec<String> {
    ["owner", "admin", "member"].map(str::to_owned).to_vec()
}

fn password() -> Value {
    json!({ "minLength": MIN_PASSWORD_CHARS, "maxLength": MAX_PASSWORD_CHARS })
}

/// `(schema, property, constraint)`: the constraint is merged into the
/// property's schema (into `items` for a property named `name[]`).
fn table() -> Vec<(&'static str, &'static str, Value)> {
    let display_name = text(1, 80);
    vec![
        // Accounts.
        ("RegisterRequest", "display_name", display_name.clone()),
        ("RegisterRequest", "password", password()),
        ("RegisterRequest", "language", one_of(languages())),
        ("UpdateMeRequest", "display_name", display_name.clone()),
        ("UpdateMeRequest", "language", one_of(languages())),
        ("ChangePasswordRequest", "new_password", password()),
        ("ResetConfirmRequest", "new_password", password()),
        // Organisations.
        ("CreateOrgRequest", "name", display_name.clone()),
        ("InviteRequest", "role", one_of(roles())),
        ("RoleRequest", "role", one_of(roles())),
        ("NewKey", "name", display_name),
        ("NewKey", "scopes", json!({ "minItems": 1 })),
        (
            "NewKey",
            "scopes[]",
            one_of(Scope::ALL.iter().map(|s| s.as_str().to_owned()).collect()),
        ),
        // Challenges.
        ("ChallengeInput", "title", text(3, 140)),
        ("ChallengeInput", "summary", text(10, 300)),
        ("ChallengeInput", "description", text(1, 50_000)),
        ("ChallengeInput", "eligibility", text(1, 5_000)),
        ("ChallengeInput", "rules", text(20, 50_000)),
        (
            "ChallengeInput",
            "kind",
            one_of(Kind::ALL.iter().map(|k| k.as_str().to_owned()).collect()),
        ),
        (
            "ChallengeInput",
            "category",
            one_of(CATEGORIES.iter().map(|c| (*c).to_owned()).collect()),
        ),
        (
            "ChallengeInput",
            "visibility",
            one_of(
                [Visibility::Public, Visibility::Unlisted]
                    .iter()
                    .map(|v| v.as_str().to_owned())
                    .collect(),
            ),
        ),
        (
            "ChallengeInput",
            "max_submissions_per_solver",
            range(1, 100),
        ),
        ("ChallengeInput", "max_team_size", range(1, 50)),
        (
            "ChallengeInput",
            "max_attachment_bytes",
            range(1024, 1024 * 1024 * 1024),
        ),
        // Its lower bound is the largest attachment (a 422 otherwise).
        (
            "ChallengeInput",
            "max_submission_bytes",
            range(1024, 10 * 1024 * 1024 * 1024),
        ),
        (
            "ChallengeRegistrationRequest",
            "accept_rules",
            json!({ "enum": [true] }),
        ),
        (
            "ChallengeInput",
            "prize_tiers",
            json!({ "minItems": 1, "maxItems": 10 }),
        ),
        ("TierInput", "amount", range(1, 100_000_000_000)),
        ("TierInput", "label", text(1, 80)),
        ("RulesRequest", "text", text(20, 50_000)),
        ("AnnounceRequest", "title", text(3, 140)),
        ("AnnounceRequest", "body", text(1, 20_000)),
        ("AskRequest", "body", text(5, 5_000)),
        ("AnswerRequest", "answer", text(1, 10_000)),
        ("ConfirmRequest", "reference", text(1, 200)),
        // Submissions.
        ("SubmissionInput", "title", text(3, 140)),
        ("SubmissionInput", "abstract", text(10, 1_000)),
        ("SubmissionInput", "body", text(1, 100_000)),
        ("SubmissionInput", "copyright_holders", text(1, 500)),
        ("DisqualifyRequest", "reason", text(5, 2_000)),
        (
            "TeamRulesInput",
            "withdrawal",
            one_of(vec!["team".to_owned(), "creator".to_owned()]),
        ),
        // Notifications.
        (
            "Preference",
            "kind",
            one_of(
                crate::notify::model::KINDS
                    .iter()
                    .map(|k| (*k).to_owned())
                    .collect(),
            ),
        ),
        // Judging.
        ("ConflictInput", "reason", text(3, 500)),
    ]
}

/// Query parameters: `(path, parameter, constraint)`.
fn query_table() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        ("/api/v1/challenges", "limit", range(1, 100)),
        (
            "/api/v1/challenges",
            "sort",
            one_of(
                [
                    "",
                    "newest",
                    "deadline",
                    "deadline_soonest",
                    "prize",
                    "largest_prize",
                ]
                .map(str::to_owned)
                .to_vec(),
            ),
        ),
        ("/api/v1/solutions", "limit", range(1, 100)),
        ("/api/v1/me/notifications", "limit", range(1, 200)),
    ]
}

/// Merges `extra` into `target`; an `enum` on a nullable property keeps
/// `null` allowed.
fn merge(target: &mut Value, extra: &Value) {
    let nullable = target["type"]
        .as_array()
        .is_some_and(|t| t.iter().any(|x| x == "null"));
    let (Some(t), Some(e)) = (target.as_object_mut(), extra.as_object()) else {
        return;
    };
    for (k, v) in e {
        let mut v = v.clone();
        if k == "enum" && nullable {
            if let Some(list) = v.as_array_mut() {
                list.push(Value::Null);
            }
        }
        t.insert(k.clone(), v);
    }
}

/// Applies every constraint to a serialised document; returns the ones
/// whose schema, property or parameter was not found (a renamed field would
/// otherwise lose its constraint silently; a unit test keeps this empty).
pub fn apply(doc: &mut Value) -> Vec<String> {
    let mut missing = Vec::new();
    for (schema, prop, extra) in table() {
        let (name, items) = match prop.strip_suffix("[]") {
            Some(n) => (n, true),
            None => (prop, false),
        };
        let target = doc
            .pointer_mut(&format!("/components/schemas/{schema}/properties/{name}"))
            .and_then(|p| if items { p.get_mut("items") } else { Some(p) });
        match target {
            Some(t) => merge(t, &extra),
            None => missing.push(format!("{schema}.{prop}")),
        }
    }
    for (path, param, extra) in query_table() {
        let escaped = path.replace('~', "~0").replace('/', "~1");
        let found = doc
            .pointer_mut(&format!("/paths/{escaped}/get/parameters"))
            .and_then(Value::as_array_mut)
            .and_then(|ps| ps.iter_mut().find(|p| p["name"] == param))
            .and_then(|p| p.get_mut("schema"));
        match found {
            Some(s) => merge(s, &extra),
            None => missing.push(format!("{path}?{param}")),
        }
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orgs::model::Role;

    #[test]
    fn every_constraint_finds_its_field() {
        let mut doc = serde_json::to_value(<super::super::ApiDoc as utoipa::OpenApi>::openapi())
            .unwrap_or_default();
        assert_eq!(apply(&mut doc), Vec::<String>::new());
        let lang = &doc["components"]["schemas"]["UpdateMeRequest"]["properties"]["language"];
        assert_eq!(lang["enum"], json!(["en", "fr", null]));
        let scopes = &doc["components"]["schemas"]["NewKey"]["properties"]["scopes"];
        assert_eq!(scopes["minItems"], 1);
        assert!(scopes["items"]["enum"]
            .as_array()
            .is_some_and(|a| a.len() == Scope::ALL.len()));
    }

    #[test]
    fn the_served_document_carries_them() {
        let doc = super::super::served().clone();
        let limit = doc["paths"]["/api/v1/challenges"]["get"]["parameters"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["name"] == "limit").cloned())
            .unwrap_or_default();
        assert_eq!(limit["schema"]["maximum"], 100, "{limit}");
    }

    /// Unknown fields are refused (a typo is an error, not a silent no-op),
    /// and the document says so for every JSON body.
    #[test]
    fn every_json_body_refuses_unknown_fields() {
        let doc = super::super::served().clone();
        let mut open = Vec::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                let schema = &op["requestBody"]["content"]["application/json"]["schema"];
                let Some(name) = schema["$ref"].as_str().and_then(|r| r.rsplit('/').next()) else {
                    continue;
                };
                if doc["components"]["schemas"][name]["additionalProperties"] != false {
                    open.push(format!("{method} {path} ({name})"));
                }
            }
        }
        assert!(open.is_empty(), "{open:#?}");
    }

    #[test]
    fn every_listed_value_is_one_the_server_takes() {
        for r in roles() {
            assert!(Role::parse(&r).is_some(), "{r}");
        }
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
        for v in [Visibility::Public, Visibility::Unlisted] {
            assert_eq!(Visibility::parse(v.as_str()), Some(v));
        }
        for s in Scope::ALL {
            assert_eq!(Scope::parse(s.as_str()), Some(s));
        }
        for s in [
            "newest",
            "deadline",
            "deadline_soonest",
            "prize",
            "largest_prize",
        ] {
            assert!(crate::challenges::model::Sort::parse(s).is_some(), "{s}");
        }
    }

    #[test]
    fn text_limits_count_the_trimmed_minimum_and_the_sent_maximum() {
        use crate::challenges::model::check_text;
        assert!(check_text("t", "  ab  ", 3, 10).is_err());
        assert!(check_text("t", "abc", 3, 10).is_ok());
        // 11 characters sent, 9 once trimmed: over maxLength, refused.
        assert!(check_text("t", " abcdefghi ", 3, 10).is_err());
        assert!(check_text("t", "abcdefghij", 3, 10).is_ok());
    }
}
