//! The funding and publishing section of the management page: escrow,
//! funding requests with how to pay them, and its one-click actions (ask
//! to fund, publish, cancel), served by one handler.

use actix_web::{web, HttpRequest, HttpResponse};

use super::challenge::{manage_failure, ManageForms, Section};
use super::manage_href;
use crate::auth::extract::Principal;
use crate::challenges::queries::Funding;
use crate::challenges::service::{self, Published};
use crate::error::AppError;
use crate::frontend::format::{amount, Stamp};
use crate::frontend::see_other;
use crate::frontend::session::PageUser;
use crate::i18n::Tr;
use crate::money::model::{funding_status, payment_reference};
use crate::state::AppState;
use serde::Deserialize;

/// A funding request as listed.
#[derive(Debug, Clone)]
pub struct FundingRow {
    pub amount: String,
    pub fee: String,
    pub total: String,
    pub reference: String,
    /// The bank reference the admin recorded on receipt.
    pub received_ref: Option<String>,
    pub status: String,
    pub status_label: &'static str,
    pub requested: Stamp,
    pub confirmed: Option<Stamp>,
}

/// How to pay a funding request just made.
#[derive(Debug, Clone)]
pub struct PayBox {
    pub amount: String,
    pub fee: String,
    pub total: String,
    pub reference: String,
    /// Paid by card: the provider's checkout page.
    pub card_url: Option<String>,
    /// Where to send the transfer, when the platform configured it.
    pub bank: Option<crate::config::BankDetails>,
}

/// The translated status of a funding request.
fn status_label(t: Tr, status: &str) -> &'static str {
    match status {
        funding_status::CONFIRMED => t.get("manage.funding.status.confirmed"),
        funding_status::CANCELLED => t.get("manage.funding.status.cancelled"),
        _ => t.get("manage.funding.status.requested"),
    }
}

/// The challenge's funding requests as listed.
pub fn rows(t: Tr, fundings: &[Funding]) -> Vec<FundingRow> {
    fundings
        .iter()
        .map(|f| FundingRow {
            amount: amount(t, f.amount, &f.currency),
            fee: amount(t, f.fee, &f.currency),
            total: amount(t, f.amount + f.fee, &f.currency),
            reference: payment_reference(&f.id),
            received_ref: f.reference.clone(),
            status: f.status.clone(),
            status_label: status_label(t, &f.status),
            requested: Stamp::of(f.requested_at),
            confirmed: f.confirmed_at.map(Stamp::of),
        })
        .collect()
}

/// How to pay the request `id` (just made), if it is one of `fundings`.
pub fn pay_box(
    t: Tr,
    fundings: &[Funding],
    id: &str,
    bank: Option<&crate::config::BankDetails>,
) -> Option<PayBox> {
    fundings
        .iter()
        .find(|f| !id.is_empty() && f.id == id)
        .map(|f| PayBox {
            amount: amount(t, f.amount, &f.currency),
            fee: amount(t, f.fee, &f.currency),
            total: amount(t, f.amount + f.fee, &f.currency),
            reference: payment_reference(&f.id),
            card_url: f.checkout_url.clone().filter(|_| f.status == "requested"),
            bank: bank.cloned(),
        })
}

/// A one-click action of the management page. Each route names its own
/// (`.app_data(web::Data::new(OneClick::Fund))` in the route table), so
/// one handler, [`act`], serves them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OneClick {
    /// Ask to fund what the pool lacks; the page then shows how to pay.
    Fund,
    /// Open the challenge, or send it to the platform's review.
    Publish,
    /// Cancel it and refund its escrow.
    Cancel,
}

/// The fields of a one-click action: only a cancellation has one.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ActForm {
    /// Why the challenge is cancelled (shown on its public page).
    reason: String,
}

/// `POST /manage/challenges/{key}/funding`, `…/publish` and `…/cancel`:
/// runs the route's action and comes back to the page with its outcome, or
/// shows the page again with why it was refused.
pub async fn act(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: PageUser,
    path: web::Path<String>,
    which: web::Data<OneClick>,
    form: web::Form<ActForm>,
) -> Result<HttpResponse, AppError> {
    let key = path.into_inner();
    let who = Principal::User(user.0.clone());
    let done = match **which {
        OneClick::Fund => service::request_funding(&state, &who, &key)
            .await
            .map(|f| format!("done=funding&funding={}#funding", f.id)),
        OneClick::Publish => service::publish(&state, &who, &key)
            .await
            .map(|(_, outcome)| match outcome {
                Published::Open => "done=published".to_owned(),
                Published::AwaitingReview => "done=awaiting_review".to_owned(),
            }),
        OneClick::Cancel => service::cancel(&state, &who, &key, &form.reason)
            .await
            .map(|_| "done=cancelled".to_owned()),
    };
    match done {
        Ok(q) => Ok(see_other(&format!("{}?{q}", manage_href(&key)))),
        Err(e) if **which == OneClick::Cancel => {
            let forms = ManageForms {
                cancel_reason: form.into_inner().reason,
                ..ManageForms::default()
            };
            manage_failure(&req, &state, &user, &key, e, Section::Cancel, forms).await
        }
        Err(e) => {
            let forms = ManageForms::default();
            manage_failure(&req, &state, &user, &key, e, Section::Action, forms).await
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_payment_reference_matches_the_api() {
        assert_eq!(
            crate::money::model::payment_reference("0190f0a1-aaaa-7bbb-8ccc-0123456789ab"),
            "TRIBU-0123456789AB"
        );
        assert_eq!(crate::money::model::payment_reference("abc"), "TRIBU-ABC");
    }
}
