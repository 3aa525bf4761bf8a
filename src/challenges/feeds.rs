//! Feeds for people who follow challenges from elsewhere: an Atom feed
//! (RFC 4287) of the latest public challenges, and an iCalendar file
//! (RFC 5545) of one challenge's dates.
//!
//! The text formats are built by small pure functions (escaping, folding,
//! dates, rendering), unit-tested below; the two handlers read through
//! [`super::queries`] and call them.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;

use super::model::State;
use super::queries::{self, Challenge};
use crate::auth::principal::Principal;
use crate::db::now;
use crate::error::AppResult;
use crate::money::model::Currency;
use crate::state::AppState;

/// The namespace of Atom 1.0.
pub const ATOM_NS: &str = "http://www.w3.org/2005/Atom";

/// How many challenges the Atom feed carries.
pub use super::queries::FEED_SIZE;

// ---- pure helpers ----

/// Whether XML 1.0 allows `c` in a document at all (even escaped).
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// Escapes text for XML element content and attribute values. Characters
/// XML 1.0 forbids (most control characters) are dropped, since no escape
/// makes them legal.
pub fn xml_escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + raw.len() / 8);
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if xml_char(c) => out.push(c),
            _ => {}
        }
    }
    out
}

/// A UTC time as RFC 3339 with `Z` (Atom's date construct): `2026-03-01T17:00:00Z`.
pub fn rfc3339(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A UTC time in iCalendar's UTC form: `20260301T170000Z`.
pub fn ics_datetime(t: NaiveDateTime) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Escapes an iCalendar TEXT value (RFC 5545 §3.3.11): backslash, semicolon
/// and comma get a backslash, every line break becomes `\n`; other control
/// characters (not allowed in TEXT) are dropped.
pub fn ics_text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 8);
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                // CRLF is one line break.
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push('\t'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Most octets a content line may have before its line break (RFC 5545 §3.1).
const ICS_LINE_OCTETS: usize = 75;

/// Folds one logical content line into physical lines of at most 75 octets,
/// each ending in CRLF; continuation lines start with a space (which counts
/// towards their 75). Folds only between characters, never inside a UTF-8
/// sequence.
pub fn ics_fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 70 * 3 + 2);
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > ICS_LINE_OCTETS {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
    out
}

/// One content line, `NAME:value`, folded. `value` must already be in the
/// property's value format (use [`ics_text`] for TEXT).
fn ics_line(out: &mut String, name: &str, value: &str) {
    out.push_str(&ics_fold(&format!("{name}:{value}")));
}

/// Upper-cases the first letter (`water` → `Water`).
fn label(raw: &str) -> String {
    let mut c = raw.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

// ---- Atom ----

/// The feed as a whole.
#[derive(Debug, Clone)]
pub struct Feed {
    /// A permanent IRI: the feed's own absolute URL.
    pub id: String,
    pub title: String,
    pub subtitle: String,
    /// Where this document lives (`rel="self"`).
    pub self_url: String,
    /// The HTML page with the same list (`rel="alternate"`).
    pub alternate_url: String,
    pub author: String,
    pub updated: NaiveDateTime,
    pub entries: Vec<FeedEntry>,
}

/// One challenge in the feed.
#[derive(Debug, Clone)]
pub struct FeedEntry {
    /// A permanent IRI (`urn:uuid:…` of the challenge id).
    pub id: String,
    pub title: String,
    /// The challenge page.
    pub url: String,
    /// Plain text.
    pub summary: String,
    /// The organisation's name and page.
    pub author: String,
    pub author_url: String,
    pub category: String,
    pub published: NaiveDateTime,
    pub updated: NaiveDateTime,
    /// The published results, once there are some (`rel="related"`).
    pub results_url: Option<String>,
}

/// Renders an Atom 1.0 document.
pub fn render_atom(feed: &Feed) -> String {
    let e = xml_escape;
    let mut out = String::with_capacity(1024 + feed.entries.len() * 1024);
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str(&format!("<feed xmlns=\"{ATOM_NS}\">\n"));
    out.push_str(&format!("  <id>{}</id>\n", e(&feed.id)));
    out.push_str(&format!(
        "  <title type=\"text\">{}</title>\n",
        e(&feed.title)
    ));
    out.push_str(&format!(
        "  <subtitle type=\"text\">{}</subtitle>\n",
        e(&feed.subtitle)
    ));
    out.push_str(&format!("  <updated>{}</updated>\n", rfc3339(feed.updated)));
    out.push_str(&format!(
        "  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
        e(&feed.self_url)
    ));
    out.push_str(&format!(
        "  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
        e(&feed.alternate_url)
    ));
    out.push_str(&format!(
        "  <author>\n    <name>{}</name>\n  </author>\n",
        e(&feed.author)
    ));
    out.push_str("  <generator>Tribu</generator>\n");
    for entry in &feed.entries {
        out.push_str("  <entry>\n");
        out.push_str(&format!("    <id>{}</id>\n", e(&entry.id)));
        out.push_str(&format!(
            "    <title type=\"text\">{}</title>\n",
            e(&entry.title)
        ));
        out.push_str(&format!(
            "    <updated>{}</updated>\n",
            rfc3339(entry.updated)
        ));
        out.push_str(&format!(
            "    <published>{}</published>\n",
            rfc3339(entry.published)
        ));
        out.push_str(&format!(
            "    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            e(&entry.url)
        ));
        if let Some(r) = &entry.results_url {
            out.push_str(&format!(
                "    <link rel=\"related\" type=\"text/html\" title=\"Results\" href=\"{}\"/>\n",
                e(r)
            ));
        }
        out.push_str(&format!(
            "    <summary type=\"text\">{}</summary>\n",
            e(&entry.summary)
        ));
        out.push_str(&format!(
            "    <author>\n      <name>{}</name>\n      <uri>{}</uri>\n    </author>\n",
            e(&entry.author),
            e(&entry.author_url)
        ));
        out.push_str(&format!(
            "    <category term=\"{}\" label=\"{}\"/>\n",
            e(&entry.category),
            e(&label(&entry.category))
        ));
        out.push_str("  </entry>\n");
    }
    out.push_str("</feed>\n");
    out
}

/// The entry of one challenge; `org` is its organisation's `(slug, name)`.
pub fn feed_entry(c: &Challenge, org: (&str, &str), site: &dyn Fn(&str) -> String) -> FeedEntry {
    let published = c.published_at.unwrap_or(c.created_at);
    let pool = Currency::parse("currency", &c.currency)
        .map(|cur| cur.format(c.prize_total))
        .unwrap_or_else(|_| format!("{} {}", c.prize_total, c.currency));
    FeedEntry {
        id: format!("urn:uuid:{}", c.id),
        title: c.title.clone(),
        url: site(&format!("/challenges/{}", c.slug)),
        summary: format!(
            "{} Prize pool: {pool}. Submissions close {} UTC.",
            c.summary.trim_end(),
            c.submission_deadline.format("%Y-%m-%d %H:%M")
        ),
        author: org.1.to_owned(),
        author_url: site(&format!("/orgs/{}", org.0)),
        category: c.category.clone(),
        published,
        updated: c.updated_at.max(published),
        results_url: matches!(
            c.stored_state(),
            crate::challenges::model::State::Awarded | crate::challenges::model::State::Settled
        )
        .then(|| site(&format!("/challenges/{}/results", c.slug))),
    }
}

/// GET /feeds/challenges.atom: the latest public challenges as Atom 1.0.
pub async fn atom(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let site = |path: &str| state.url(path);
    let entries: Vec<FeedEntry> = queries::latest(&state)
        .await?
        .iter()
        .map(|f| feed_entry(&f.ch, (&f.org_slug, &f.org_name), &site))
        .collect();
    let feed = Feed {
        id: state.url("/feeds/challenges.atom"),
        title: "Tribu: latest challenges".to_owned(),
        subtitle: "Open innovation challenges with prize money held in escrow.".to_owned(),
        self_url: state.url("/feeds/challenges.atom"),
        alternate_url: state.url("/challenges"),
        author: "Tribu".to_owned(),
        updated: entries.iter().map(|e| e.updated).max().unwrap_or_else(now),
        entries,
    };
    Ok(HttpResponse::Ok()
        .content_type("application/atom+xml; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(render_atom(&feed)))
}

// ---- iCalendar ----

/// One dated event of a challenge.
#[derive(Debug, Clone)]
pub struct CalendarEvent {
    /// Stable across downloads, so calendars update instead of duplicating.
    pub uid: String,
    pub start: NaiveDateTime,
    pub summary: String,
    pub description: String,
    pub url: String,
}

/// A challenge's calendar.
#[derive(Debug, Clone)]
pub struct Calendar {
    pub name: String,
    /// When this file was made (DTSTAMP).
    pub stamp: NaiveDateTime,
    /// Marks every event cancelled (a cancelled challenge).
    pub cancelled: bool,
    pub events: Vec<CalendarEvent>,
}

/// Renders an iCalendar object: CRLF line ends, TEXT escaped, lines folded.
pub fn render_ics(cal: &Calendar) -> String {
    let mut out = String::with_capacity(512 + cal.events.len() * 512);
    ics_line(&mut out, "BEGIN", "VCALENDAR");
    ics_line(&mut out, "VERSION", "2.0");
    ics_line(&mut out, "PRODID", "-//Tribu//Challenge calendar//EN");
    ics_line(&mut out, "CALSCALE", "GREGORIAN");
    ics_line(&mut out, "METHOD", "PUBLISH");
    ics_line(&mut out, "X-WR-CALNAME", &ics_text(&cal.name));
    for ev in &cal.events {
        ics_line(&mut out, "BEGIN", "VEVENT");
        ics_line(&mut out, "UID", &ics_text(&ev.uid));
        ics_line(&mut out, "DTSTAMP", &ics_datetime(cal.stamp));
        ics_line(&mut out, "DTSTART", &ics_datetime(ev.start));
        ics_line(&mut out, "SUMMARY", &ics_text(&ev.summary));
        ics_line(&mut out, "DESCRIPTION", &ics_text(&ev.description));
        ics_line(&mut out, "URL", &ev.url);
        ics_line(
            &mut out,
            "STATUS",
            if cal.cancelled {
                "CANCELLED"
            } else {
                "CONFIRMED"
            },
        );
        // A deadline is a moment, not busy time.
        ics_line(&mut out, "TRANSP", "TRANSPARENT");
        ics_line(&mut out, "END", "VEVENT");
    }
    ics_line(&mut out, "END", "VCALENDAR");
    out
}

/// The events of a challenge: opening (when set), submission deadline, end
/// of judging. `org_name` is its organisation's name.
pub fn calendar_of(c: &Challenge, org_name: &str, url: &str, stamp: NaiveDateTime) -> Calendar {
    let pool = Currency::parse("currency", &c.currency)
        .map(|cur| cur.format(c.prize_total))
        .unwrap_or_else(|_| format!("{} {}", c.prize_total, c.currency));
    let about = format!(
        "{}\n\nOrganised by {org_name}. Prize pool: {pool}.\n{url}",
        c.summary.trim()
    );
    let mut events = Vec::new();
    if let Some(opens) = c.opens_at {
        events.push(CalendarEvent {
            uid: format!("{}-opens@tribu", c.id),
            start: opens,
            summary: format!("{}: opens", c.title),
            description: format!(
                "Registration and submissions open for \"{}\".\n\n{about}",
                c.title
            ),
            url: url.to_owned(),
        });
    }
    events.push(CalendarEvent {
        uid: format!("{}-deadline@tribu", c.id),
        start: c.submission_deadline,
        summary: format!("{}: submission deadline", c.title),
        description: format!("The last moment to submit a proposal to \"{}\"; the last revision before it is the one judged.\n\n{about}", c.title),
        url: url.to_owned(),
    });
    events.push(CalendarEvent {
        uid: format!("{}-judging@tribu", c.id),
        start: c.judging_deadline,
        summary: format!("{}: judging ends", c.title),
        description: format!(
            "Judging of \"{}\" ends; results follow.\n\n{about}",
            c.title
        ),
        url: url.to_owned(),
    });
    Calendar {
        name: c.title.clone(),
        stamp,
        cancelled: c.stored_state() == State::Cancelled,
        events,
    }
}

/// GET /challenges/{slug}/calendar.ics: a challenge's dates as iCalendar.
/// Drafts answer 404 except to their organisation.
pub async fn calendar(
    state: web::Data<AppState>,
    who: Option<Principal>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let (ch, org_name) = queries::with_org_name(&state, who, path.into_inner()).await?;
    let url = state.url(&format!("/challenges/{}", ch.slug));
    let body = render_ics(&calendar_of(&ch, &org_name, &url, now()));
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}.ics\"", ch.slug),
        ))
        .body(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(h, min, s))
            .unwrap_or_default()
    }

    #[test]
    fn xml_escaping() {
        assert_eq!(
            xml_escape(r#"R&D <water> "x" 'y'"#),
            "R&amp;D &lt;water&gt; &quot;x&quot; &apos;y&apos;"
        );
        assert_eq!(xml_escape("café 💧\ttab\nline"), "café 💧\ttab\nline");
        // Forbidden characters vanish rather than break the document.
        assert_eq!(xml_escape("a\u{0}b\u{1b}c\u{FFFE}d"), "abcd");
    }

    #[test]
    fn dates() {
        let t = at(2026, 3, 1, 7, 5, 9);
        assert_eq!(rfc3339(t), "2026-03-01T07:05:09Z");
        assert_eq!(ics_datetime(t), "20260301T070509Z");
        assert!(chrono::DateTime::parse_from_rfc3339(&rfc3339(t)).is_ok());
    }

    #[test]
    fn ics_text_escaping() {
        assert_eq!(ics_text(r"a\b;c,d"), r"a\\b\;c\,d");
        assert_eq!(
            ics_text("one\ntwo\r\nthree\rfour"),
            r"one\ntwo\nthree\nfour"
        );
        assert_eq!(ics_text("bell\u{7}less"), "bellless");
        assert_eq!(ics_text("Zoë: 5 000 €"), "Zoë: 5 000 €");
    }

    #[test]
    fn short_lines_are_not_folded() {
        assert_eq!(ics_fold("VERSION:2.0"), "VERSION:2.0\r\n");
        let exactly = "X".repeat(75);
        assert_eq!(ics_fold(&exactly), format!("{exactly}\r\n"));
    }

    #[test]
    fn long_lines_fold_at_75_octets() {
        let line = format!("DESCRIPTION:{}", "abcdefghij".repeat(20));
        let folded = ics_fold(&line);
        assert!(folded.ends_with("\r\n"));
        let physical: Vec<&str> = folded.trim_end_matches("\r\n").split("\r\n").collect();
        assert!(physical.len() > 2);
        assert_eq!(physical[0].len(), 75);
        for p in &physical[1..] {
            assert!(p.starts_with(' '));
            assert!(p.len() <= 75);
        }
        assert_eq!(folded.replace("\r\n ", "").trim_end_matches("\r\n"), line);
    }

    #[test]
    fn folding_never_splits_a_character() {
        // 3- and 4-octet characters at every alignment.
        for prefix in 0..4 {
            let line = format!("SUMMARY:{}{}", "x".repeat(prefix), "€💧".repeat(40));
            let folded = ics_fold(&line);
            for p in folded.trim_end_matches("\r\n").split("\r\n") {
                assert!(p.len() <= 75, "{} octets", p.len());
            }
            // Still valid UTF-8 line by line, and unfolds to the original.
            assert_eq!(folded.replace("\r\n ", "").trim_end_matches("\r\n"), line);
        }
    }

    fn challenge() -> Challenge {
        let t = at(2026, 1, 10, 9, 0, 0);
        Challenge {
            id: "0190aaaa-0000-7000-8000-000000000001".into(),
            org_id: "org".into(),
            slug: "rd-water".into(),
            title: "R&D <water>, clean; for all".into(),
            summary: "Find a way to test well water for arsenic under a euro.".into(),
            description_md: "# Hello".into(),
            category: "water".into(),
            tags: "arsenic wells".into(),
            kind: "ideation".into(),
            currency: "EUR".into(),
            prize_total: 2_500_000,
            state: "open".into(),
            visibility: "public".into(),
            opens_at: Some(at(2026, 1, 15, 0, 0, 0)),
            submission_deadline: at(2026, 3, 1, 17, 0, 0),
            judging_deadline: at(2026, 4, 1, 17, 0, 0),
            eligibility: "Everyone".into(),
            allowed_licences: "CC-BY-4.0".into(),
            max_submissions_per_solver: 1,
            max_team_size: 5,
            blind_judging: false,
            rules_version: 1,
            review_state: "none".into(),
            review_comment: None,
            created_by: "u".into(),
            created_at: t,
            updated_at: at(2026, 1, 16, 0, 0, 0),
            published_at: Some(at(2026, 1, 15, 0, 0, 0)),
            max_attachment_bytes: None,
            max_submission_bytes: None,
            pending_changes: None,
        }
    }

    #[test]
    fn atom_document_is_well_formed_and_escaped() {
        let c = challenge();
        let site = |p: &str| format!("https://tribu.example{p}");
        let entry = feed_entry(&c, ("aqua", "Water & Wells"), &site);
        assert_eq!(entry.url, "https://tribu.example/challenges/rd-water");
        assert!(entry.summary.contains("25"));
        let feed = Feed {
            id: site("/feeds/challenges.atom"),
            title: "T".into(),
            subtitle: "S".into(),
            self_url: site("/feeds/challenges.atom"),
            alternate_url: site("/challenges"),
            author: "Tribu".into(),
            updated: entry.updated,
            entries: vec![entry],
        };
        let xml = render_atom(&feed);
        assert!(xml.contains("R&amp;D &lt;water&gt;, clean; for all"));
        assert!(xml.contains("<name>Water &amp; Wells</name>"));
        assert!(xml.contains("<published>2026-01-15T00:00:00Z</published>"));
        assert!(xml.contains("<updated>2026-01-16T00:00:00Z</updated>"));
        assert!(xml.contains(r#"<category term="water" label="Water"/>"#));
    }

    #[test]
    fn calendar_has_stable_uids_and_escaped_text() {
        let c = challenge();
        let cal = calendar_of(
            &c,
            "Water & Wells",
            "https://tribu.example/challenges/rd-water",
            at(2026, 2, 1, 0, 0, 0),
        );
        assert_eq!(cal.events.len(), 3);
        let ics = render_ics(&cal);
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        let unfolded = ics.replace("\r\n ", "");
        assert!(unfolded.contains("UID:0190aaaa-0000-7000-8000-000000000001-deadline@tribu\r\n"));
        assert!(unfolded.contains("DTSTART:20260301T170000Z\r\n"));
        assert!(unfolded.contains("DTSTAMP:20260201T000000Z\r\n"));
        assert!(unfolded.contains(r"SUMMARY:R&D <water>\, clean\; for all: submission deadline"));
        assert!(unfolded.contains("STATUS:CONFIRMED"));
        for line in ics.split_terminator("\r\n") {
            assert!(line.len() <= 75);
            assert!(!line.contains('\n') && !line.contains('\r'));
        }
        let mut no_opening = c.clone();
        no_opening.opens_at = None;
        no_opening.state = "cancelled".into();
        let cal = calendar_of(&no_opening, "W", "u", at(2026, 2, 1, 0, 0, 0));
        assert_eq!(cal.events.len(), 2);
        assert!(render_ics(&cal).contains("STATUS:CANCELLED"));
    }
}
