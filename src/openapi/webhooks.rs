//! The document's `webhooks` section: what each event an organisation's
//! endpoint receives looks like, so integrations can generate receivers.

use serde_json::{json, Value};

fn challenge_ref() -> Value {
    json!({ "type": "object", "required": ["id", "slug", "title"],
            "properties": { "id": { "type": "string" }, "slug": { "type": "string" }, "title": { "type": "string" } } })
}

fn time() -> Value {
    json!({ "type": "string", "format": "date-time" })
}

/// Each event's `data`.
fn data_of(event: &str) -> Value {
    let ch = challenge_ref();
    match event {
        "challenge.published" => {
            json!({ "type": "object", "required": ["challenge", "submission_deadline", "url"],
            "properties": { "challenge": ch, "submission_deadline": time(), "url": { "type": "string" } } })
        }
        "challenge.closed" => json!({ "type": "object", "required": ["challenge", "reason"],
            "properties": { "challenge": ch, "reason": { "type": "string", "enum": ["deadline"] } } }),
        "submission.created" => {
            json!({ "type": "object", "required": ["challenge", "submission_id", "revision", "sha256", "submitted_at"],
            "description": "An entry was entered. Its content stays confidential until results: only its id, revision and receipt hash.",
            "properties": { "challenge": ch, "submission_id": { "type": "string" }, "revision": { "type": "integer" },
                            "sha256": { "type": "string" }, "submitted_at": time() } })
        }
        "round.closed" => {
            json!({ "type": "object", "required": ["challenge", "round", "scorecards_submitted"],
            "properties": { "challenge": ch, "scorecards_submitted": { "type": "integer" },
                "round": { "type": "object", "required": ["id", "name", "number"],
                           "properties": { "id": { "type": "string" }, "name": { "type": "string" }, "number": { "type": "integer" } } } } })
        }
        "results.published" => {
            json!({ "type": "object", "required": ["challenge", "awards", "url"],
            "properties": { "challenge": ch, "url": { "type": "string" },
                "awards": { "type": "array", "items": { "type": "object", "required": ["tier", "submission_id", "amount", "currency"],
                    "properties": { "tier": { "type": "integer" }, "submission_id": { "type": "string" },
                                    "amount": { "type": "integer", "description": "Minor units." }, "currency": { "type": "string" } } } } } })
        }
        _ => {
            json!({ "type": "object", "required": ["challenge", "payout_id", "award_id", "amount", "currency"],
            "properties": { "challenge": ch, "payout_id": { "type": "string" }, "award_id": { "type": "string" },
                            "amount": { "type": "integer", "description": "Minor units." }, "currency": { "type": "string" } } })
        }
    }
}

/// Adds `webhooks` and one `WebhookEvent…` schema per event.
pub fn apply(doc: &mut Value) {
    let mut hooks = serde_json::Map::new();
    for event in crate::webhooks::model::EVENTS {
        let name = format!(
            "WebhookEvent{}",
            event
                .split(['.', '_'])
                .map(|w| {
                    let mut c = w.chars();
                    c.next()
                        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                        .unwrap_or_default()
                })
                .collect::<String>()
        );
        let schema = json!({
            "type": "object",
            "required": ["id", "type", "created_at", "data"],
            "properties": {
                "id": { "type": "string", "description": "The event's id; a redelivery repeats it." },
                "type": { "type": "string", "enum": [event] },
                "created_at": time(),
                "data": data_of(event),
            }
        });
        if let Some(schemas) = doc
            .pointer_mut("/components/schemas")
            .and_then(Value::as_object_mut)
        {
            schemas.insert(name.clone(), schema);
        }
        hooks.insert(
            (*event).to_owned(),
            json!({ "post": {
                "summary": format!("{event}, to an organisation's endpoint"),
                "description": "Signed: `Tribu-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of \"<t>.<body>\" with the endpoint's secret>`. Refuse a timestamp more than five minutes away. Answer 2xx; anything else (or nothing within 10 s) is tried again with backoff for three days.",
                "operationId": format!("webhook_{}", event.replace('.', "_")),
                "parameters": [
                    { "name": "Tribu-Signature", "in": "header", "required": true, "schema": { "type": "string" } },
                    { "name": "Tribu-Event", "in": "header", "required": true, "schema": { "type": "string" } },
                    { "name": "Tribu-Delivery", "in": "header", "required": true, "schema": { "type": "string" } }
                ],
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{name}") } } } },
                "responses": { "2XX": { "description": "Received" } }
            } }),
        );
    }
    if let Some(o) = doc.as_object_mut() {
        o.insert("webhooks".to_owned(), Value::Object(hooks));
    }
}
