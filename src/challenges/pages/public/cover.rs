//! The cover image of a challenge, shown inline (it is always a PNG, JPEG
//! or WebP image: the service checked its bytes on the way in).

use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::auth::extract::MaybeUser;
use crate::auth::principal::Principal;
use crate::challenges::queries;
use crate::error::AppError;
use crate::state::AppState;

/// `GET /challenges/{slug}/cover`.
pub async fn cover(
    state: web::Data<AppState>,
    user: MaybeUser,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let who = user.0.map(Principal::User);
    let r = queries::cover(&state, who, path.into_inner()).await?;
    let (size, stream) = state.blobs.open(&r.sha256).await?;
    let mut res = HttpResponse::Ok();
    res.content_type(r.content_type.as_str())
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .insert_header((header::ETAG, format!("\"{}\"", r.sha256)));
    res.no_chunking(size);
    Ok(res.streaming(stream))
}
