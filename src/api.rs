//! Shared pieces of the JSON API: body parsing errors, RFC 3339 times, the
//! fallback that turns framework errors into problem+json.

use actix_web::error::{JsonPayloadError, QueryPayloadError, UrlencodedError};
use actix_web::{web, HttpRequest};

use crate::error::AppError;

/// Largest JSON body accepted unless a route says otherwise.
pub const JSON_LIMIT: usize = 1024 * 1024;

/// JSON extractor settings: 1 MiB, and every failure as problem+json.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(JSON_LIMIT)
        .error_handler(|err, _req: &HttpRequest| json_error(err).into())
}

fn json_error(err: JsonPayloadError) -> AppError {
    match err {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            AppError::PayloadTooLarge
        }
        JsonPayloadError::ContentType => AppError::UnsupportedMediaType,
        JsonPayloadError::Deserialize(e) => AppError::bad_request(
            "invalid_json",
            format!("The body is not valid for this request: {e}"),
        ),
        other => AppError::bad_request("invalid_body", other.to_string()),
    }
}

/// A JSON request body: always an object (serde would otherwise take an
/// array for a struct), with numbers such as `2.0` read as the integers JSON
/// Schema says they are. Size, content type and syntax errors answer as
/// [`json_config`] says.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T> Json<T> {
    /// The body.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: serde::de::DeserializeOwned + 'static> actix_web::FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let fut = web::Json::<serde_json::Value>::from_request(req, payload);
        Box::pin(async move {
            let mut v = fut.await?.into_inner();
            if !v.is_object() {
                return Err(AppError::bad_request(
                    "invalid_json",
                    "The body must be a JSON object.",
                )
                .into());
            }
            integral_floats_to_integers(&mut v);
            serde_json::from_value(v).map(Json).map_err(|e| {
                AppError::bad_request(
                    "invalid_json",
                    format!("The body is not valid for this request: {e}"),
                )
                .into()
            })
        })
    }
}

/// `2.0` is the integer 2 in JSON Schema; serde would refuse it for an
/// integer field.
fn integral_floats_to_integers(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64() {
                if f.fract() == 0.0 && f.abs() < 9.0e15 {
                    *v = serde_json::Value::from(f as i64);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(integral_floats_to_integers),
        serde_json::Value::Object(map) => map.values_mut().for_each(integral_floats_to_integers),
        _ => {}
    }
}

/// Query string errors as problem+json.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| match err {
        QueryPayloadError::Deserialize(e) => {
            AppError::bad_request("invalid_query", e.to_string()).into()
        }
        other => AppError::bad_request("invalid_query", other.to_string()).into(),
    })
}

/// Path parameter errors as problem+json.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_err, _req| AppError::NotFound.into())
}

/// Form errors for the HTML pages (413 / 415 / 400), never a panic.
pub fn form_config() -> web::FormConfig {
    web::FormConfig::default()
        .limit(64 * 1024)
        .error_handler(|err, _req| match err {
            UrlencodedError::Overflow { .. } => AppError::PayloadTooLarge.into(),
            UrlencodedError::ContentType => AppError::UnsupportedMediaType.into(),
            other => AppError::bad_request("invalid_form", other.to_string()).into(),
        })
}

/// `NaiveDateTime` (UTC) as RFC 3339 with `Z`.
pub mod rfc3339 {
    use chrono::{NaiveDateTime, SecondsFormat};
    use serde::Serializer;

    pub fn serialize<S: Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true))
    }
}

/// `Option<NaiveDateTime>` (UTC) as RFC 3339 with `Z`, or null.
pub mod rfc3339_opt {
    use chrono::{NaiveDateTime, SecondsFormat};
    use serde::Serializer;

    pub fn serialize<S: Serializer>(t: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&t.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true)),
            None => s.serialize_none(),
        }
    }
}

/// Text typed by people, made safe for spreadsheets: a cell that starts
/// like a formula is quoted so that opening a CSV export runs nothing.
pub fn csv_cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}
