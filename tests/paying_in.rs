//! Paying in with the manual provider (issue 11): the funding request shows
//! the platform's configured bank details, on the page and in the API; the
//! organisation is told by email when it asks and when the money arrives.

mod common;

use common::fixtures::{id_of, slug_of, World, OWNER};
use common::visitor::Visitor;
use serde_json::json;

#[tokio::test]
async fn a_funding_request_says_where_to_send_the_money_and_both_steps_are_emailed() {
    let w = World::with(|c| {
        c.bank_account_holder = Some("Tribu Escrow SCIC".into());
        c.bank_name = Some("Banque Coopérative".into());
        c.bank_iban = Some("fr7630006000011234567890189".into());
        c.bank_bic = Some("agrifrpp".into());
    })
    .await;
    let app = &w.app;
    let slug = slug_of(&w.draft("Reef monitors", json!({})).await);
    let f = w.request_funding(&slug).await;
    let reference = f["payment_reference"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        f["pay_to"]["iban"], "FR76 3000 6000 0112 3456 7890 189",
        "{f}"
    );
    assert_eq!(f["pay_to"]["bic"], "AGRIFRPP");
    assert_eq!(f["pay_to"]["account_holder"], "Tribu Escrow SCIC");

    // The email: what to send, the reference, the bank details.
    let mail = app.wait_for_email(OWNER, "How to fund Reef monitors").await;
    assert!(mail.contains(&reference), "{mail}");
    assert!(
        mail.contains("IBAN FR76 3000 6000 0112 3456 7890 189"),
        "{mail}"
    );
    assert!(
        mail.contains("1 050.00") || mail.contains("1\u{202f}050.00") || mail.contains("1,050.00"),
        "{mail}"
    );

    // The page right after asking shows the same.
    let v = Visitor::signed_in(app, OWNER).await;
    let page = v
        .html(&format!(
            "/manage/challenges/{slug}?done=funding&funding={}",
            id_of(&f)
        ))
        .await;
    assert!(page.contains("FR76 3000 6000 0112 3456 7890 189"), "{page}");
    assert!(page.contains("Tribu Escrow SCIC") && page.contains("Banque Coopérative"));

    // Confirmed: the organisation hears of it; the API stops showing where to pay.
    let r = app
        .post(
            &format!("/api/v1/admin/fundings/{}/confirm", id_of(&f)),
            Some(&w.admin.access),
            json!({ "reference": "SEPA-IN-77" }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let confirmed: serde_json::Value = r.json().await.unwrap_or_default();
    assert!(confirmed.get("pay_to").is_none(), "{confirmed}");
    let mail = app.wait_for_email(OWNER, "Reef monitors is funded").await;
    assert!(mail.contains("held in escrow"), "{mail}");
}

#[tokio::test]
async fn without_bank_details_the_request_says_how_to_get_them() {
    let w = World::new().await;
    let slug = slug_of(&w.draft("Quiet bank", json!({})).await);
    let f = w.request_funding(&slug).await;
    assert!(f.get("pay_to").is_none(), "{f}");
    let mail = w.app.wait_for_email(OWNER, "How to fund Quiet bank").await;
    assert!(
        mail.contains("Reply to this email for the platform's bank details"),
        "{mail}"
    );
}
