//! OpenAPI links: which answer's value a client passes to which next
//! operation. Declared where a name could mislead: `POST
//! /orgs/{slug}/members` answers an *invitation*, whose `id` is withdrawn at
//! `/orgs/{slug}/invitations/{id}`; only a member's `user_id` (listed by `GET
//! /orgs/{slug}/members`) addresses `/orgs/{slug}/members/{user_id}`. Code
//! generators and stateful fuzzers read these instead of guessing from names.

use serde_json::{json, Value};

/// One link: from an operation's answer to the operation `target` (an
/// operationId), with its parameters as runtime expressions.
struct Link {
    method: &'static str,
    path: &'static str,
    status: &'static str,
    name: &'static str,
    target: &'static str,
    parameters: &'static [(&'static str, &'static str)],
    description: &'static str,
}

const LINKS: &[Link] = &[
    Link {
        method: "post",
        path: "/api/v1/orgs/{slug}/members",
        status: "201",
        name: "RevokeInvitation",
        target: "revoke_invitation",
        parameters: &[("slug", "$request.path.slug"), ("id", "$response.body#/id")],
        description:
            "Withdraw the invitation just sent (the invitee is not a member until they accept).",
    },
    Link {
        method: "get",
        path: "/api/v1/orgs/{slug}/members",
        status: "200",
        name: "RevokeInvitation",
        target: "revoke_invitation",
        parameters: &[
            ("slug", "$request.path.slug"),
            ("id", "$response.body#/invitations/0/id"),
        ],
        description: "Withdraw a pending invitation.",
    },
    Link {
        method: "get",
        path: "/api/v1/orgs/{slug}/members",
        status: "200",
        name: "SetRole",
        target: "set_role",
        parameters: &[
            ("slug", "$request.path.slug"),
            ("user_id", "$response.body#/data/0/user_id"),
        ],
        description: "Change a listed member's role.",
    },
    Link {
        method: "get",
        path: "/api/v1/orgs/{slug}/members",
        status: "200",
        name: "RemoveMember",
        target: "remove_org_member",
        parameters: &[
            ("slug", "$request.path.slug"),
            ("user_id", "$response.body#/data/0/user_id"),
        ],
        description: "Remove a listed member.",
    },
];

/// Adds the links to the document; returns the ones that found no answer to
/// sit on (a test keeps this empty).
pub fn apply(doc: &mut Value) -> Vec<String> {
    let mut missing = Vec::new();
    for l in LINKS {
        let Some(response) = doc
            .pointer_mut(&format!(
                "/paths/{}/{}/responses/{}",
                l.path.replace('~', "~0").replace('/', "~1"),
                l.method,
                l.status
            ))
            .and_then(Value::as_object_mut)
        else {
            missing.push(format!("{} {} {}", l.method, l.path, l.status));
            continue;
        };
        let parameters: serde_json::Map<String, Value> = l
            .parameters
            .iter()
            .map(|(k, v)| ((*k).to_owned(), json!(v)))
            .collect();
        let links = response
            .entry("links")
            .or_insert_with(|| json!({}))
            .as_object_mut();
        if let Some(links) = links {
            links.insert(
                l.name.to_owned(),
                json!({
                    "operationId": l.target,
                    "parameters": parameters,
                    "description": l.description,
                }),
            );
        }
    }
    missing
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn operations(doc: &Value) -> Vec<(String, String, Value)> {
        let mut out = Vec::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                out.push((method.clone(), path.clone(), op.clone()));
            }
        }
        out
    }

    /// operationIds name client methods: two of one name break generators.
    #[test]
    fn operation_ids_are_unique() {
        let doc = super::super::served().clone();
        let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (method, path, op) in operations(&doc) {
            let id = op["operationId"].as_str().unwrap_or("").to_owned();
            assert!(!id.is_empty(), "{method} {path} has no operationId");
            seen.entry(id).or_default().push(format!("{method} {path}"));
        }
        let clashes: Vec<_> = seen.iter().filter(|(_, v)| v.len() > 1).collect();
        assert!(
            clashes.is_empty(),
            "give these an operation_id: {clashes:?}"
        );
    }

    /// Every link sits on an answer and names an operation and its parameters.
    #[test]
    fn links_point_at_real_operations() {
        let doc = super::super::served().clone();
        let ops = operations(&doc);
        let mut found = 0;
        for l in LINKS {
            let link = &doc["paths"][l.path][l.method]["responses"][l.status]["links"][l.name];
            assert_eq!(link["operationId"], l.target, "{} on {}", l.name, l.path);
            let target = ops
                .iter()
                .find(|(_, _, op)| op["operationId"] == l.target)
                .map(|(_, _, op)| op.clone())
                .unwrap_or_default();
            let names: Vec<&str> = target["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p["name"].as_str())
                .collect();
            for (p, _) in l.parameters {
                assert!(names.contains(p), "{} has no parameter {p}", l.target);
            }
            found += 1;
        }
        assert_eq!(found, LINKS.len());
        let mut raw = serde_json::to_value(<super::super::ApiDoc as utoipa::OpenApi>::openapi())
            .unwrap_or_default();
        assert_eq!(apply(&mut raw), Vec::<String>::new());
    }
}
