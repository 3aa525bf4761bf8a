//! The French walk (issue 11): pages a visitor, a solver, an organisation
//! and a platform admin see, rendered in French, show no English string of
//! the catalogue. Each page's text is compared with every English catalogue
//! entry that French translates differently.

mod common;

use common::fixtures::{World, ORG, OWNER};
use common::visitor::Visitor;
use serde_json::json;
use tribu::i18n::{catalogue, Language};

/// The visible text of a page: no scripts, no tags, a few entities decoded.
fn text_of(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    let lower = html.to_lowercase();
    let mut skip_until: Option<usize> = None;
    for (i, ch) in html.char_indices() {
        if let Some(end) = skip_until {
            if i < end {
                continue;
            }
            skip_until = None;
        }
        if !in_tag && ch == '<' {
            for tag in ["<script", "<style"] {
                if lower[i..].starts_with(tag) {
                    let close = if tag == "<script" {
                        "</script>"
                    } else {
                        "</style>"
                    };
                    skip_until = lower[i..].find(close).map(|e| i + e + close.len());
                }
            }
            if skip_until.is_some() {
                continue;
            }
            in_tag = true;
            out.push(' ');
            continue;
        }
        if in_tag {
            in_tag = ch != '>';
            continue;
        }
        out.push(ch);
    }
    out.replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", " ")
}

/// The English catalogue entries French says differently, long enough to
/// be unmistakable and without placeholders.
fn english_only() -> Vec<(String, String)> {
    let (en, fr) = (catalogue(Language::En), catalogue(Language::Fr));
    let mut out: Vec<(String, String)> = en
        .iter()
        .filter(|(k, v)| {
            v.chars().count() >= 12 && !v.contains('{') && fr.get(*k).is_some_and(|f| f != *v)
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    out.sort();
    out
}

/// Sets an account's language to French, as its settings do.
async fn in_french(app: &common::TestApp, t: &common::Tokens) {
    let r = app
        .patch("/api/v1/me", Some(&t.access), json!({ "language": "fr" }))
        .await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn the_french_pages_say_nothing_in_english() {
    let w = World::new().await;
    let app = &w.app;
    let a = w.awarded().await;
    let open = w.open_challenge("Ouvert aux idées", json!({})).await;
    let entry = app
        .get_json("/api/v1/me/submissions", Some(&a.winner.access))
        .await["data"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    for t in [&a.winner, &w.owner, &w.admin] {
        in_french(app, t).await;
    }
    let visitor = Visitor::with_header(app, Some("fr-FR,fr;q=0.9"));
    let solver = Visitor::signed_in(app, "win@solvers.org").await;
    let owner = Visitor::signed_in(app, OWNER).await;
    let admin = Visitor::signed_in(app, "admin@tribu.org").await;
    let walks: Vec<(&Visitor, Vec<String>)> = vec![
        (
            &visitor,
            vec![
                "/".into(),
                "/challenges".into(),
                format!("/challenges/{open}"),
                format!("/challenges/{}", a.slug),
                format!("/challenges/{}/results", a.slug),
                "/solutions".into(),
                format!("/organisations/{ORG}"),
                "/terms".into(),
                "/privacy".into(),
                "/login".into(),
                "/signup".into(),
            ],
        ),
        (
            &solver,
            vec![
                "/me/submissions".into(),
                "/settings".into(),
                format!("/submissions/{entry}"),
                format!("/challenges/{open}"),
            ],
        ),
        (
            &owner,
            vec![
                "/orgs".into(),
                format!("/orgs/{ORG}/challenges"),
                format!("/manage/challenges/{}", a.slug),
                format!("/manage/challenges/{open}"),
                format!("/manage/challenges/{}/judging", a.slug),
            ],
        ),
        (
            &admin,
            vec![
                "/admin".into(),
                "/admin/payouts".into(),
                "/admin/money".into(),
                "/admin/users".into(),
            ],
        ),
    ];
    let english = english_only();
    assert!(
        english.len() > 300,
        "the catalogue is there: {}",
        english.len()
    );
    let mut found = Vec::new();
    for (v, pages) in walks {
        for p in pages {
            let (status, html) = v.page(&p).await;
            assert_eq!(status, 200, "{p}");
            assert!(html.contains("<html lang=\"fr\">"), "{p} is in French");
            let text = text_of(&html);
            for (key, en) in &english {
                // The fixture's challenges use this default as their text.
                if key == "manage.form.eligibility_default" {
                    continue;
                }
                if text.contains(en.as_str()) {
                    found.push(format!("{p}: {key} = {en:?}"));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "English on French pages:\n{}",
        found.join("\n")
    );
}
