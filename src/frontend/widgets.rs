//! The small pieces pages are made of: notices, choices of a select,
//! links and buttons, and the message page (a heading, a few paragraphs and
//! links, for outcomes such as "check your email").

use askama::Template;

use super::PageCtx;
use crate::i18n::{Language, Tr};

/// A notice at the top of a page or of a section.
#[derive(Debug, Clone)]
pub struct Notice {
    /// `ok`, `info` or `error`: the colour of the notice.
    pub kind: &'static str,
    /// What it says, translated.
    pub text: String,
    /// A link after the text, if any.
    pub link: Option<Link>,
}

impl Notice {
    /// A notice of `kind` (`ok`, `info` or `error`).
    pub fn new(kind: &'static str, text: impl Into<String>) -> Self {
        Notice {
            kind,
            text: text.into(),
            link: None,
        }
    }

    /// A success notice.
    pub fn ok(text: impl Into<String>) -> Self {
        Self::new("ok", text)
    }

    /// A neutral notice.
    pub fn info(text: impl Into<String>) -> Self {
        Self::new("info", text)
    }

    /// An error notice.
    pub fn error(text: impl Into<String>) -> Self {
        Self::new("error", text)
    }

    /// Adds a link after the text.
    pub fn with_link(mut self, href: impl Into<String>, label: &str) -> Self {
        self.link = Some(Link {
            href: href.into(),
            label: label.to_owned(),
        });
        self
    }
}

/// A link inside a notice.
#[derive(Debug, Clone)]
pub struct Link {
    pub href: String,
    pub label: String,
}

/// One option of a select or a checkbox list.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    /// An option, selected or not.
    pub fn new(value: &str, label: impl Into<String>, selected: bool) -> Self {
        Choice {
            value: value.to_owned(),
            label: label.into(),
            selected,
        }
    }

    /// An option, selected when it is the `current` value.
    pub fn of(value: &str, label: impl Into<String>, current: &str) -> Self {
        Self::new(value, label, value == current)
    }
}

/// A link or button on a message page.
#[derive(Debug, Clone)]
pub struct Action {
    pub href: String,
    pub label: String,
    pub primary: bool,
}

impl Action {
    /// The main call to action.
    pub fn primary(href: impl Into<String>, label: &str) -> Self {
        Action {
            href: href.into(),
            label: label.to_owned(),
            primary: true,
        }
    }

    /// A secondary link.
    pub fn secondary(href: impl Into<String>, label: &str) -> Self {
        Action {
            href: href.into(),
            label: label.to_owned(),
            primary: false,
        }
    }
}

/// A short page with a heading, a few paragraphs and links: outcomes such as
/// "check your email" or "this link has expired".
#[derive(Template)]
#[template(path = "auth/message.html")]
pub struct MessagePage {
    pub page: PageCtx,
    /// `ok`, `info` or `error`: the colour of the notice.
    pub kind: &'static str,
    pub heading: String,
    /// The first paragraph, shown in the notice.
    pub lead: String,
    pub body: Vec<String>,
    pub actions: Vec<Action>,
}

impl MessagePage {
    /// A message page with a heading and a lead paragraph.
    pub fn new(page: PageCtx, kind: &'static str, heading: &str, lead: impl Into<String>) -> Self {
        MessagePage {
            page,
            kind,
            heading: heading.to_owned(),
            lead: lead.into(),
            body: Vec::new(),
            actions: Vec::new(),
        }
    }

    /// Adds a paragraph.
    pub fn para(mut self, text: impl Into<String>) -> Self {
        self.body.push(text.into());
        self
    }

    /// Adds a link.
    pub fn action(mut self, a: Action) -> Self {
        self.actions.push(a);
        self
    }
}

/// A language choice of a select.
#[derive(Debug, Clone)]
pub struct LangOption {
    pub code: &'static str,
    pub label: &'static str,
}

/// Every interface language, named in itself.
pub fn languages(t: Tr) -> Vec<LangOption> {
    Language::ALL
        .iter()
        .map(|l| LangOption {
            code: l.code(),
            label: match l {
                Language::En => t.get("lang.en"),
                Language::Fr => t.get("lang.fr"),
            },
        })
        .collect()
}
