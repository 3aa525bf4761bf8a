//! Forms say one thing (issue 11): the challenge form offers as many prize
//! tiers as its error allows, names each licence and what it lets others
//! do, suggests addresses cut at a word; answers render Markdown like the
//! description.

mod common;

use common::fixtures::{id_of, slug_of, World, ORG, OWNER};
use common::visitor::Visitor;
use serde_json::json;

#[tokio::test]
async fn the_challenge_form_offers_ten_tiers_and_explains_each_licence() {
    let w = World::new().await;
    let v = Visitor::signed_in(&w.app, OWNER).await;
    let page = v.html(&format!("/orgs/{ORG}/challenges/new")).await;
    // Ten rows, as the rule and its message say; five in view.
    assert!(page.contains("name=\"tier10_label\""), "{page}");
    assert!(!page.contains("name=\"tier11_label\""));
    assert!(page.contains("More tiers (up to 10)"));
    assert!(page.contains("Up to ten tiers"));
    // Licences by name, with what they let others do.
    assert!(
        page.contains("Creative Commons Attribution 4.0 International"),
        "{page}"
    );
    assert!(page.contains("if they credit you"), "{page}");
    assert!(page.contains("share their changes under the same licence"));
}

#[tokio::test]
async fn a_long_title_suggests_an_address_cut_at_a_word() {
    let w = World::new().await;
    let mut body = World::challenge_body(
        "Low-cost water quality sensors for rural community wells",
        chrono::Duration::days(20),
        json!({}),
    );
    if let Some(o) = body.as_object_mut() {
        o.remove("slug");
    }
    let c = w.create(body).await;
    assert_eq!(slug_of(&c), "low-cost-water-quality-sensors-for-rural");
    let mut body = World::challenge_body(
        "Défi Cœur de la Forêt",
        chrono::Duration::days(20),
        json!({}),
    );
    if let Some(o) = body.as_object_mut() {
        o.remove("slug");
    }
    assert_eq!(slug_of(&w.create(body).await), "defi-coeur-de-la-foret");
}

#[tokio::test]
async fn answers_render_markdown_like_the_description() {
    let w = World::new().await;
    let app = &w.app;
    let slug = w.open_challenge("Markdown answers", json!({})).await;
    let solver = w.solver("ask@example.org", "Asa Asker", &slug).await;
    let q = app
        .post(
            &format!("/api/v1/challenges/{slug}/questions"),
            Some(&solver.access),
            json!({ "body": "May we use recycled parts?", "is_public": true }),
        )
        .await;
    assert_eq!(q.status(), 201);
    let q: serde_json::Value = q.json().await.unwrap_or_default();
    let r = app
        .post(
            &format!("/api/v1/questions/{}/answer", id_of(&q)),
            Some(&w.owner.access),
            json!({ "answer": "Yes, **recycled** parts are welcome.\n\n- list them\n- say where from\n\n<script>alert(1)</script>" }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let page = Visitor::new(app).html(&format!("/challenges/{slug}")).await;
    assert!(page.contains("<strong>recycled</strong>"), "{page}");
    assert!(page.contains("<li>list them</li>"), "{page}");
    assert!(!page.contains("<script>alert(1)"), "sanitised");
    let manage = Visitor::signed_in(app, OWNER)
        .await
        .html(&format!("/manage/challenges/{slug}"))
        .await;
    assert!(manage.contains("<strong>recycled</strong>"), "{manage}");
}
