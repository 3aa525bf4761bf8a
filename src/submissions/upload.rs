//! The file of a multipart upload, read the same way for the JSON API and
//! the page: the field named `file`, found by skipping small other fields
//! (the page's CSRF token comes first and the middleware has read it).
//! Nothing is staged here: the caller first asks the service how many bytes
//! the sender may add, then streams the field into staging.

use actix_multipart::{Field, Multipart};
use futures_util::StreamExt;

use crate::error::{AppError, AppResult};

/// The most bytes a field other than the file may have.
const OTHER_FIELD_MAX: usize = 4096;

fn broken(e: actix_multipart::MultipartError) -> AppError {
    AppError::bad_request("invalid_multipart", e.to_string())
}

/// The `file` field of `payload` and the name the client gave it ("file"
/// when none), or `None` when the body has no such field. The field reads
/// from `payload`, which must outlive it.
pub async fn file_field(payload: &mut Multipart) -> AppResult<Option<(String, Field)>> {
    Ok(fields_and_file(payload).await?.1)
}

/// Like [`file_field`], keeping the small fields sent before the file (a
/// form's checkboxes) as name and text.
pub async fn fields_and_file(
    payload: &mut Multipart,
) -> AppResult<(Vec<(String, String)>, Option<(String, Field)>)> {
    let mut small = Vec::new();
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(broken)?;
        let name = field
            .content_disposition()
            .and_then(|d| d.get_name())
            .unwrap_or_default()
            .to_owned();
        if name == "file" {
            let filename = field
                .content_disposition()
                .and_then(|d| d.get_filename())
                .unwrap_or("file")
                .to_owned();
            return Ok((small, Some((filename, field))));
        }
        let mut value = Vec::new();
        while let Some(chunk) = field.next().await {
            value.extend_from_slice(&chunk.map_err(broken)?);
            if value.len() > OTHER_FIELD_MAX {
                return Err(AppError::PayloadTooLarge);
            }
        }
        small.push((name, String::from_utf8_lossy(&value).into_owned()));
    }
    Ok((small, None))
}
