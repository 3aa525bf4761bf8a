//! Building on shared work (issue 11): from a published solution whose
//! licence allows adaptations, a new entry names its source; its licence
//! must fit the source's; the chain shows on the entry and, once
//! published, in the gallery and on the source's page.

mod common;

use common::assert_problem;
use common::fixtures::{id_of, World};
use common::visitor::Visitor;
use serde_json::{json, Value};

/// A published winning solution under `licence`, in a challenge allowing it.
async fn published_under(w: &World, licence: &str) -> (String, common::Tokens) {
    let slug = w
        .open_challenge(
            "Clean rivers",
            json!({ "allowed_licences": [licence, "CC-BY-4.0"] }),
        )
        .await;
    let ana = w.solver("ana@solvers.org", "Ana Costa", &slug).await;
    let r = w
        .app
        .post(
            &format!("/api/v1/challenges/{slug}/submissions"),
            Some(&ana.access),
            json!({ "title": "River sensor", "abstract": "An open turbidity sensor for rivers.",
                    "body": "An LED and a photodiode.", "licence": licence }),
        )
        .await;
    assert_eq!(r.status(), 201);
    let source = id_of(&r.json::<Value>().await.unwrap_or_default());
    w.award(&slug, &source, "jay@judges.org").await;
    (source, ana)
}

#[tokio::test]
async fn an_entry_builds_on_a_share_alike_solution_under_its_licence() {
    let w = World::new().await;
    let app = &w.app;
    let (source, _) = published_under(&w, "CC-BY-SA-4.0").await;
    let slug = w
        .open_challenge(
            "Cleaner lakes",
            json!({ "allowed_licences": ["CC-BY-4.0", "CC-BY-SA-4.0", "MIT"] }),
        )
        .await;
    let bo = w.solver("bo@solvers.org", "Bo Lind", &slug).await;

    // The source's page offers to build on it; the next page lists the
    // open challenge with the licences that fit.
    let v = Visitor::signed_in(app, "bo@solvers.org").await;
    let page = v.html(&format!("/submissions/{source}")).await;
    assert!(page.contains("Start an entry from this"), "{page}");
    let page = v.html(&format!("/submissions/{source}/build-on")).await;
    assert!(page.contains("Cleaner lakes"), "{page}");
    assert!(page.contains("licences that fit: CC-BY-SA-4.0"), "{page}");
    let form_path = format!("/challenges/{slug}/submit?builds_on={source}");
    assert!(page.contains(&form_path.replace('&', "&amp;")), "{page}");
    // The form names the source, offers only the fitting licence, and
    // starts the text with the attribution.
    let form = v.html(&form_path).await;
    assert!(form.contains("This entry builds on"), "{form}");
    assert!(form.contains("value=\"CC-BY-SA-4.0\""), "{form}");
    assert!(!form.contains("value=\"MIT\""), "{form}");
    assert!(form.contains("Builds on [River sensor]"), "{form}");

    // Over the API, an incompatible licence is refused with the reason.
    let body = |licence: &str| {
        json!({ "title": "Lake sensor", "abstract": "The river sensor, adapted to lakes.",
                "body": "Builds on River sensor.", "licence": licence, "builds_on": source })
    };
    let create = format!("/api/v1/challenges/{slug}/submissions");
    let r = app.post(&create, Some(&bo.access), body("CC-BY-4.0")).await;
    let p: Value = r.json().await.unwrap_or_default();
    assert_eq!(p["code"], "validation_failed", "{p}");
    assert_eq!(p["errors"][0]["field"], "licence", "{p}");
    assert_eq!(p["errors"][0]["code"], "licence_incompatible", "{p}");
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("CC BY-SA")),
        "{p}"
    );
    // A page form with the wrong licence says so too, and keeps the source.
    let r = v
        .post_form(
            &form_path,
            &format!("/challenges/{slug}/submit"),
            &[
                ("title", "Lake sensor"),
                ("abstract", "The river sensor, adapted to lakes."),
                ("body", "Adapted."),
                ("licence", "MIT"),
                ("copyright_holders", "Bo Lind"),
                ("builds_on", &source),
                ("action", "submit"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap_or_default();
    assert!(html.contains("cannot carry the solution"), "{html}");
    assert!(html.contains("This entry builds on"), "{html}");
    // Something unpublished cannot be named.
    let r = app
        .post(
            &create,
            Some(&bo.access),
            json!({ "title": "Lake sensor", "abstract": "The river sensor, adapted to lakes.",
                    "body": "x", "licence": "MIT", "builds_on": "no-such-entry" }),
        )
        .await;
    let p: Value = r.json().await.unwrap_or_default();
    assert_eq!(p["errors"][0]["code"], "source_not_published", "{p}");

    // Under the same family it is accepted and names its source; the
    // source cannot change afterwards.
    let r = app
        .post(&create, Some(&bo.access), body("CC-BY-SA-4.0"))
        .await;
    assert_eq!(r.status(), 201);
    let derived: Value = r.json().await.unwrap_or_default();
    let did = id_of(&derived);
    assert_eq!(derived["builds_on"][0]["id"], source.as_str(), "{derived}");
    assert_eq!(derived["builds_on"][0]["holders"], "Ana Costa");
    assert_eq!(derived["builds_on"][0]["licence"], "CC-BY-SA-4.0");
    let r = app
        .patch(
            &format!("/api/v1/submissions/{did}"),
            Some(&bo.access),
            json!({ "builds_on": did }),
        )
        .await;
    assert_problem(r, 422, "validation_failed").await;
    let r = app
        .patch(
            &format!("/api/v1/submissions/{did}"),
            Some(&bo.access),
            json!({ "licence": "MIT" }),
        )
        .await;
    assert_problem(r, 422, "validation_failed").await;
    let page = v.html(&format!("/submissions/{did}")).await;
    assert!(
        page.contains("Builds on") && page.contains("River sensor"),
        "{page}"
    );
    assert!(page.contains("by Ana Costa · CC-BY-SA-4.0"), "{page}");
    // Not published yet: the source's page does not list it.
    let src = app
        .get_json(&format!("/api/v1/submissions/{source}"), None)
        .await;
    assert_eq!(src["built_upon_by"], json!([]), "{src}");

    // Published with its challenge's results: shown on the source's page
    // and in the gallery.
    w.award(&slug, &did, "jo@judges.org").await;
    let src = app
        .get_json(&format!("/api/v1/submissions/{source}"), None)
        .await;
    assert_eq!(src["built_upon_by"][0]["id"], did.as_str(), "{src}");
    let visitor = Visitor::new(app);
    let page = visitor.html(&format!("/submissions/{source}")).await;
    assert!(
        page.contains("Built upon by") && page.contains("Lake sensor"),
        "{page}"
    );
    let gallery = visitor.html("/solutions").await;
    assert!(
        gallery.contains("Builds on") && gallery.contains(&format!("/submissions/{source}")),
        "{gallery}"
    );
}

#[tokio::test]
async fn a_no_derivatives_solution_cannot_be_built_on() {
    let w = World::new().await;
    let app = &w.app;
    let (source, _) = published_under(&w, "CC-BY-ND-4.0").await;
    let page = Visitor::new(app)
        .html(&format!("/submissions/{source}"))
        .await;
    assert!(!page.contains("Start an entry from this"), "{page}");
    let page = Visitor::new(app)
        .html(&format!("/submissions/{source}/build-on"))
        .await;
    assert!(page.contains("does not allow adaptations"), "{page}");
    let slug = w.open_challenge("Any open challenge", json!({})).await;
    let bo = w.solver("bo@solvers.org", "Bo Lind", &slug).await;
    let r = app
        .post(
            &format!("/api/v1/challenges/{slug}/submissions"),
            Some(&bo.access),
            json!({ "title": "Copy", "abstract": "An adaptation that is not allowed.",
                    "body": "x", "licence": "CC-BY-4.0", "builds_on": source }),
        )
        .await;
    let p: Value = r.json().await.unwrap_or_default();
    assert_eq!(p["errors"][0]["field"], "builds_on", "{p}");
    assert_eq!(p["errors"][0]["code"], "no_derivatives", "{p}");
}
