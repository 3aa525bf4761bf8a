//! The Atom feed of public challenges and a challenge's iCalendar file, read
//! as a feed reader and a calendar would: parsed, not string-matched.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::assert_problem;
use common::fixtures::{at, World};
use serde_json::{json, Value};

const ATOM: &str = "http://www.w3.org/2005/Atom";
const TITLE: &str = r#"R&D <water> "quality", tested; for all"#;

/// The organisation the feeds' challenges belong to; its name needs escaping.
const WELLS: &str = "wells";

fn body(slug: &str, title: &str, visibility: &str) -> Value {
    World::challenge_body(
        title,
        Duration::days(30) + Duration::minutes(7),
        json!({
            "org": WELLS,
            "slug": slug,
            // Long and non-ASCII, so calendar lines fold inside multi-octet characters.
            "summary": "Find a cheap way to test village wells — Zoë's café, the école and the mosque share one 💧 source; results must be readable by eye, cost under €0.50, and need no lab.",
            "description": "## Context\n\nMillions lack **clean water**.",
            "category": "water",
            "kind": "ideation",
            "prize_tiers": [{ "rank": 1, "label": "Winner", "amount": 400000 }],
            "visibility": visibility,
            "opens_at": at(Duration::days(1)),
            "judging_deadline": at(Duration::days(45)),
            "rules": "Entries must be original work. One entry per team.",
            "allowed_licences": ["CC-BY-4.0"]
        }),
    )
}

/// The default world with the organisation [`WELLS`], owned by its owner.
async fn world() -> World {
    let w = World::new().await;
    w.create_org(&w.owner, WELLS, "Wells & Water <Lab>").await;
    w
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.children().find(|n| {
        n.is_element() && n.tag_name().name() == name && n.tag_name().namespace() == Some(ATOM)
    })
}

fn text_of(node: roxmltree::Node<'_, '_>, name: &str) -> String {
    child(node, name)
        .and_then(|n| n.text())
        .unwrap_or_default()
        .to_owned()
}

fn assert_rfc3339(raw: &str, what: &str) {
    assert!(
        DateTime::parse_from_rfc3339(raw).is_ok(),
        "{what} is not RFC 3339: {raw:?}"
    );
}

#[tokio::test]
async fn the_atom_feed_lists_public_challenges_only() {
    let w = world().await;
    let public = w.launch(body("rd-water", TITLE, "public")).await;
    w.launch(body("hidden-water", "Unlisted water challenge", "unlisted"))
        .await;
    w.create(body("draft-water", "Draft water challenge", "public"))
        .await;
    // Published last, so first in the feed.
    w.launch(body("newer-water", "A newer water challenge", "public"))
        .await;

    let r = w.app.get("/feeds/challenges.atom", None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        header(&r, "content-type"),
        "application/atom+xml; charset=utf-8"
    );
    let xml = r.text().await.unwrap_or_default();
    let doc = roxmltree::Document::parse(&xml)
        .unwrap_or_else(|e| panic!("feed is not well-formed XML: {e}\n{xml}"));

    let feed = doc.root_element();
    assert_eq!(feed.tag_name().name(), "feed");
    assert_eq!(feed.tag_name().namespace(), Some(ATOM));
    assert!(!text_of(feed, "id").is_empty(), "feed id");
    assert!(!text_of(feed, "title").is_empty(), "feed title");
    let updated = text_of(feed, "updated");
    assert_rfc3339(&updated, "feed updated");
    assert!(updated.ends_with('Z'), "{updated}");
    let links: Vec<_> = feed
        .children()
        .filter(|n| n.tag_name().name() == "link")
        .collect();
    let self_link = links
        .iter()
        .find(|l| l.attribute("rel") == Some("self"))
        .unwrap_or_else(|| panic!("no rel=self link"));
    assert_eq!(
        self_link.attribute("href"),
        Some(w.app.url("/feeds/challenges.atom").as_str())
    );
    assert!(
        links
            .iter()
            .any(|l| l.attribute("rel") == Some("alternate")),
        "alternate link"
    );
    assert!(
        child(feed, "author")
            .and_then(|a| child(a, "name"))
            .is_some(),
        "feed author"
    );

    let entries: Vec<_> = feed
        .children()
        .filter(|n| n.is_element() && n.tag_name().name() == "entry")
        .collect();
    let href = |e: &roxmltree::Node| {
        child(*e, "link")
            .and_then(|l| l.attribute("href"))
            .unwrap_or_default()
            .to_owned()
    };
    let hrefs: Vec<String> = entries.iter().map(href).collect();
    assert_eq!(
        hrefs,
        vec![
            w.app.url("/challenges/newer-water"),
            w.app.url("/challenges/rd-water")
        ],
        "public challenges only, newest first"
    );
    assert!(
        !xml.contains("hidden-water") && !xml.contains("Unlisted water"),
        "unlisted challenge leaked"
    );
    assert!(!xml.contains("draft-water"), "draft leaked");

    let entry = entries[1];
    // The reader sees the title as written; the document carries it escaped.
    assert_eq!(text_of(entry, "title"), TITLE);
    assert!(
        xml.contains("R&amp;D &lt;water&gt; &quot;quality&quot;, tested; for all"),
        "{xml}"
    );
    assert!(!text_of(entry, "id").is_empty(), "entry id");
    assert!(
        text_of(entry, "id").contains(public["id"].as_str().unwrap_or("?")),
        "entry id carries the challenge id"
    );
    for name in ["updated", "published"] {
        let t = text_of(entry, name);
        assert_rfc3339(&t, name);
        assert!(t.ends_with('Z'), "{name} {t}");
    }
    assert!(text_of(entry, "summary").starts_with("Find a cheap way"));
    let author = child(entry, "author").unwrap_or_else(|| panic!("entry author"));
    assert_eq!(text_of(author, "name"), "Wells & Water <Lab>");
    assert_eq!(
        child(entry, "category").and_then(|c| c.attribute("term")),
        Some("water")
    );
}

/// Unfolds content lines (RFC 5545 §3.1) after checking the physical form.
fn unfold(raw: &[u8]) -> Vec<String> {
    assert!(raw.ends_with(b"\r\n"), "ends with CRLF");
    for (i, b) in raw.iter().enumerate() {
        if *b == b'\n' {
            assert!(i > 0 && raw[i - 1] == b'\r', "bare LF at octet {i}");
        }
        if *b == b'\r' {
            assert_eq!(raw.get(i + 1), Some(&b'\n'), "bare CR at octet {i}");
        }
    }
    let mut lines: Vec<String> = Vec::new();
    let mut folds = 0;
    for physical in raw[..raw.len() - 2].split(|b| *b == b'\n') {
        let physical = physical.strip_suffix(b"\r").unwrap_or(physical);
        assert!(
            physical.len() <= 75,
            "line of {} octets: {:?}",
            physical.len(),
            String::from_utf8_lossy(physical)
        );
        // Folding never splits a UTF-8 sequence.
        let text = std::str::from_utf8(physical)
            .unwrap_or_else(|e| panic!("line is not UTF-8 on its own: {e}"));
        match text.strip_prefix(' ').or_else(|| text.strip_prefix('\t')) {
            Some(rest) => {
                folds += 1;
                lines
                    .last_mut()
                    .unwrap_or_else(|| panic!("continuation first"))
                    .push_str(rest);
            }
            None => lines.push(text.to_owned()),
        }
    }
    assert!(folds > 0, "the long description should have been folded");
    lines
}

/// `NAME[;params]:value` → (NAME, value).
fn content_line(line: &str) -> (String, String) {
    let colon = line
        .find(':')
        .unwrap_or_else(|| panic!("no colon: {line:?}"));
    let (head, value) = (&line[..colon], &line[colon + 1..]);
    let name = head.split(';').next().unwrap_or_default();
    assert!(
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
        "bad property name in {line:?}"
    );
    (name.to_owned(), value.to_owned())
}

#[tokio::test]
async fn a_challenge_calendar_is_valid_icalendar() {
    let w = world().await;
    let c = w.launch(body("rd-water", TITLE, "public")).await;
    let id = c["id"].as_str().unwrap_or_default().to_owned();

    let r = w.app.get("/challenges/rd-water/calendar.ics", None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "text/calendar; charset=utf-8");
    assert_eq!(
        header(&r, "content-disposition"),
        "attachment; filename=\"rd-water.ics\""
    );
    let raw = r.bytes().await.unwrap_or_default();
    let lines = unfold(&raw);

    // Components nest and close; every event carries what calendars need.
    let mut stack: Vec<String> = Vec::new();
    let mut calendar: Vec<(String, String)> = Vec::new();
    let mut events: Vec<Vec<(String, String)>> = Vec::new();
    for line in &lines {
        let (name, value) = content_line(line);
        match name.as_str() {
            "BEGIN" => {
                if value == "VEVENT" {
                    assert_eq!(
                        stack,
                        vec!["VCALENDAR".to_owned()],
                        "VEVENT inside VCALENDAR"
                    );
                    events.push(Vec::new());
                } else {
                    assert!(stack.is_empty(), "{value} nested");
                }
                stack.push(value);
            }
            "END" => assert_eq!(stack.pop(), Some(value), "END matches BEGIN"),
            _ if stack.last().map(String::as_str) == Some("VEVENT") => events
                .last_mut()
                .unwrap_or_else(|| panic!("event"))
                .push((name, value)),
            _ => calendar.push((name, value)),
        }
    }
    assert!(stack.is_empty(), "unclosed {stack:?}");
    assert_eq!(lines.first().map(String::as_str), Some("BEGIN:VCALENDAR"));
    assert_eq!(lines.last().map(String::as_str), Some("END:VCALENDAR"));
    let get = |props: &[(String, String)], name: &str| {
        props
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(get(&calendar, "VERSION").as_deref(), Some("2.0"));
    assert!(get(&calendar, "PRODID").is_some());
    assert_eq!(get(&calendar, "CALSCALE").as_deref(), Some("GREGORIAN"));
    assert_eq!(get(&calendar, "METHOD").as_deref(), Some("PUBLISH"));

    assert_eq!(events.len(), 3, "opens, submission deadline, judging ends");
    let stamp = |v: &str| {
        v.len() == 16
            && v.ends_with('Z')
            && v.as_bytes()[8] == b'T'
            && v[..8]
                .chars()
                .chain(v[9..15].chars())
                .all(|c| c.is_ascii_digit())
    };
    for e in &events {
        for name in ["UID", "DTSTAMP", "DTSTART", "SUMMARY", "DESCRIPTION", "URL"] {
            assert!(get(e, name).is_some(), "event without {name}: {e:?}");
        }
        assert!(stamp(&get(e, "DTSTART").unwrap_or_default()), "{e:?}");
        assert!(stamp(&get(e, "DTSTAMP").unwrap_or_default()), "{e:?}");
        assert_eq!(get(e, "URL"), Some(w.app.url("/challenges/rd-water")));
    }
    let deadline = events
        .iter()
        .find(|e| get(e, "UID") == Some(format!("{id}-deadline@tribu")))
        .unwrap_or_else(|| panic!("no deadline event with a stable UID"));
    let expected = DateTime::parse_from_rfc3339(
        c["timeline"]["submission_deadline"]
            .as_str()
            .unwrap_or_default(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .with_timezone(&Utc)
    .format("%Y%m%dT%H%M%SZ")
    .to_string();
    assert_eq!(get(deadline, "DTSTART"), Some(expected));
    // TEXT escaping: commas and semicolons get a backslash; <, &, " stay.
    let summary = get(deadline, "SUMMARY").unwrap_or_default();
    assert!(
        summary.starts_with(r#"R&D <water> "quality"\, tested\; for all"#),
        "{summary}"
    );
    assert!(
        get(deadline, "DESCRIPTION")
            .unwrap_or_default()
            .contains("\\n"),
        "line breaks as \\n"
    );
    assert!(events
        .iter()
        .any(|e| get(e, "UID") == Some(format!("{id}-opens@tribu"))));
    assert!(events
        .iter()
        .any(|e| get(e, "UID") == Some(format!("{id}-judging@tribu"))));

    // The same request again: same UIDs (calendars update, not duplicate).
    let again = unfold(
        &w.app
            .get("/challenges/rd-water/calendar.ics", None)
            .await
            .bytes()
            .await
            .unwrap_or_default(),
    );
    let uids = |ls: &[String]| {
        ls.iter()
            .filter(|l| l.starts_with("UID:"))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(uids(&lines), uids(&again));
}

#[tokio::test]
async fn drafts_have_no_public_calendar() {
    let w = world().await;
    w.create(body("draft-water", "Draft water challenge", "public"))
        .await;
    w.launch(body("hidden-water", "Unlisted water challenge", "unlisted"))
        .await;

    assert_problem(
        w.app
            .get("/challenges/draft-water/calendar.ics", None)
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        w.app
            .get("/challenges/no-such-challenge/calendar.ics", None)
            .await,
        404,
        "not_found",
    )
    .await;
    // Its organisation can preview the draft's dates.
    let r = w
        .app
        .get(
            "/challenges/draft-water/calendar.ics",
            Some(&w.owner.access),
        )
        .await;
    assert_eq!(r.status(), 200);
    // Unlisted: not in the feed, but its link works.
    let r = w
        .app
        .get("/challenges/hidden-water/calendar.ics", None)
        .await;
    assert_eq!(r.status(), 200);
    // An empty feed is still a valid feed.
    let xml = w
        .app
        .get("/feeds/challenges.atom", None)
        .await
        .text()
        .await
        .unwrap_or_default();
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        doc.root_element()
            .children()
            .filter(|n| n.tag_name().name() == "entry")
            .count(),
        0
    );
}
