//! The follow button pages of other areas show (a challenge, an
//! organisation, a category): what it follows and whether I do.

use crate::auth::extract::MaybeUser;
use crate::error::AppError;
use crate::notify::follows;
use crate::state::AppState;

/// A follow button on a page: what it follows and whether I do.
#[derive(Debug, Clone)]
pub struct FollowButton {
    pub target_type: &'static str,
    pub target: String,
    pub following: bool,
    /// Signed out: the button is a link to sign in, back here.
    pub signed_in: bool,
    /// This page, to come back to.
    pub next: String,
    /// "Follow" or "Follow this category".
    pub label_key: &'static str,
}

impl FollowButton {
    /// The button for `target_type` `target` on page `next`, for `user`.
    pub async fn load(
        state: &AppState,
        user: &MaybeUser,
        target_type: &'static str,
        target: &str,
        next: &str,
    ) -> Result<FollowButton, AppError> {
        let following = match &user.0 {
            Some(u) => follows::follows(state, &u.user.id, target_type, target).await?,
            None => false,
        };
        Ok(FollowButton {
            target_type,
            target: target.to_owned(),
            following,
            signed_in: user.0.is_some(),
            next: next.to_owned(),
            label_key: if target_type == follows::target::CATEGORY {
                "follow.follow_category"
            } else {
                "follow.follow"
            },
        })
    }

    /// The sign-in link that comes back to this page.
    pub fn login_href(&self) -> String {
        format!("/login?next={}", self.next)
    }
}
