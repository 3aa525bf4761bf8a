//! Composing emails from templates in the recipient's language; the
//! transports that deliver them are in [`super::transport`].

pub use super::transport::{Mailer, Sending};

use askama::Template;

use crate::i18n::{Language, Tr};

/// A rendered email, ready for the outbox.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub kind: &'static str,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Its first paragraph, for the in-app notification.
    pub summary: String,
    /// Where its button leads, if it has one.
    pub url: Option<String>,
}

/// Stands in the body for the unsubscribe link, which the worker signs and
/// puts in its place when it sends.
pub const UNSUBSCRIBE_MARKER: &str = "__TRIBU_UNSUBSCRIBE_LINK__";

/// The emails Tribu sends.
#[derive(Debug, Clone)]
pub enum EmailKind {
    VerifyEmail {
        url: String,
    },
    PasswordReset {
        url: String,
    },
    PasswordChanged,
    OrgInvitation {
        org_name: String,
        inviter: String,
        url: String,
    },
    QuestionAnswered {
        challenge: String,
        url: String,
    },
    Announcement {
        challenge: String,
        title: String,
        body: String,
        url: String,
    },
    Receipt {
        challenge: String,
        title: String,
        revision: i32,
        hash: String,
        at: String,
        url: String,
    },
    Disqualified {
        challenge: String,
        title: String,
        reason: String,
        url: String,
    },
    TeamInvitation {
        challenge: String,
        inviter: String,
        url: String,
    },
    JudgeInvitation {
        challenge: String,
        inviter: String,
        url: String,
    },
    /// Results are out and this entry won a prize.
    Winner {
        challenge: String,
        title: String,
        prize: String,
        url: String,
    },
    /// Results are out; this entry did not win.
    ResultsPublished {
        challenge: String,
        title: String,
        url: String,
    },
    /// A funding request was made: what to pay and how.
    FundingRequested {
        challenge: String,
        total: String,
        reference: String,
        /// Paid by card on the provider's page, not by transfer.
        card: bool,
        /// Where to send a transfer, when configured.
        bank: Option<crate::config::BankDetails>,
        url: String,
    },
    /// The money of a funding request arrived in escrow.
    FundingConfirmed {
        challenge: String,
        amount: String,
        url: String,
    },
    /// A prize share was paid out.
    PayoutPaid {
        challenge: String,
        amount: String,
        url: String,
    },
    /// A prize share could not be paid out.
    PayoutFailed {
        challenge: String,
        amount: String,
        url: String,
    },
    /// A challenge was published by an organisation or in a category the
    /// reader follows.
    ChallengePublished {
        challenge: String,
        org: String,
        summary: String,
        url: String,
    },
    /// A registrant has no submitted entry and the deadline nears.
    DeadlineReminder {
        challenge: String,
        /// The 24-hour reminder (else the 7-day one).
        last_day: bool,
        deadline: String,
        url: String,
    },
    /// A judge has scorecards left and the judging deadline nears.
    JudgingReminder {
        challenge: String,
        left: usize,
        deadline: String,
        url: String,
    },
    /// A webhook endpoint was turned off after a delivery failed for days.
    WebhookDisabled {
        org: String,
        url: String,
        link: String,
    },
    /// A solver registered for a challenge.
    RegistrationConfirmed {
        challenge: String,
        /// The submission deadline, as the reader writes dates.
        deadline: String,
        url: String,
    },
    /// A judging round with this judge on it opened.
    RoundOpened {
        challenge: String,
        round: String,
        url: String,
    },
    /// A judging round with this judge on it closed.
    RoundClosed {
        challenge: String,
        round: String,
        url: String,
    },
}

#[derive(Template)]
#[template(path = "email/action.html")]
struct ActionHtml<'a> {
    t: Tr,
    subject: &'a str,
    greeting: &'a str,
    intro: &'a str,
    action_label: &'a str,
    action_url: Option<&'a str>,
    outro: &'a str,
    unsubscribe: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "email/action.txt")]
struct ActionText<'a> {
    greeting: &'a str,
    intro: &'a str,
    action_label: &'a str,
    action_url: Option<&'a str>,
    outro: &'a str,
    unsubscribe: Option<&'a str>,
    unsubscribe_label: &'a str,
}

/// Renders an email of `kind` for `to` (greeted as `name`) in `lang`;
/// with `unsubscribe`, its footer holds [`UNSUBSCRIBE_MARKER`] where the
/// link to stop this kind goes.
pub fn compose(
    kind: &EmailKind,
    to: &str,
    name: &str,
    lang: Language,
    unsubscribe: bool,
) -> Result<Outgoing, String> {
    let t = Tr::new(lang);
    let greeting = if name.is_empty() {
        t.get("email.greeting_anonymous").to_owned()
    } else {
        t.fmt("email.greeting", &[("name", name)])
    };
    let (id, subject, intro, label, url, outro) = match kind {
        EmailKind::VerifyEmail { url } => (
            "verify_email",
            t.get("email.verify.subject").to_owned(),
            t.get("email.verify.intro").to_owned(),
            t.get("email.verify.action"),
            Some(url.as_str()),
            t.get("email.verify.outro").to_owned(),
        ),
        EmailKind::PasswordReset { url } => (
            "password_reset",
            t.get("email.reset.subject").to_owned(),
            t.get("email.reset.intro").to_owned(),
            t.get("email.reset.action"),
            Some(url.as_str()),
            t.get("email.reset.outro").to_owned(),
        ),
        EmailKind::PasswordChanged => (
            "password_changed",
            t.get("email.password_changed.subject").to_owned(),
            t.get("email.password_changed.intro").to_owned(),
            "",
            None,
            t.get("email.password_changed.outro").to_owned(),
        ),
        EmailKind::OrgInvitation {
            org_name,
            inviter,
            url,
        } => (
            "org_invitation",
            t.fmt("email.invite.subject", &[("org", org_name)]),
            t.fmt(
                "email.invite.intro",
                &[("org", org_name), ("inviter", inviter)],
            ),
            t.get("email.invite.action"),
            Some(url.as_str()),
            t.get("email.invite.outro").to_owned(),
        ),
        EmailKind::QuestionAnswered { challenge, url } => (
            "question_answered",
            t.fmt("email.answered.subject", &[("challenge", challenge)]),
            t.fmt("email.answered.intro", &[("challenge", challenge)]),
            t.get("email.answered.action"),
            Some(url.as_str()),
            t.get("email.answered.outro").to_owned(),
        ),
        EmailKind::Announcement {
            challenge,
            title,
            body,
            url,
        } => (
            "announcement",
            t.fmt(
                "email.announcement.subject",
                &[("challenge", challenge), ("title", title)],
            ),
            format!(
                "{}\n\n{title}\n\n{body}",
                t.fmt("email.announcement.intro", &[("challenge", challenge)])
            ),
            t.get("email.announcement.action"),
            Some(url.as_str()),
            t.get("email.announcement.outro").to_owned(),
        ),
        EmailKind::Receipt {
            challenge,
            title,
            revision,
            hash,
            at,
            url,
        } => (
            "receipt",
            t.fmt("email.receipt.subject", &[("challenge", challenge)]),
            t.fmt(
                "email.receipt.intro",
                &[
                    ("title", title),
                    ("challenge", challenge),
                    ("revision", &revision.to_string()),
                    ("hash", hash),
                    ("at", at),
                ],
            ),
            t.get("email.receipt.action"),
            Some(url.as_str()),
            t.get("email.receipt.outro").to_owned(),
        ),
        EmailKind::Disqualified {
            challenge,
            title,
            reason,
            url,
        } => (
            "disqualified",
            t.fmt("email.disqualified.subject", &[("challenge", challenge)]),
            t.fmt(
                "email.disqualified.intro",
                &[
                    ("title", title),
                    ("challenge", challenge),
                    ("reason", reason),
                ],
            ),
            t.get("email.disqualified.action"),
            Some(url.as_str()),
            t.get("email.disqualified.outro").to_owned(),
        ),
        EmailKind::TeamInvitation {
            challenge,
            inviter,
            url,
        } => (
            "team_invitation",
            t.fmt("email.team_invite.subject", &[("challenge", challenge)]),
            t.fmt(
                "email.team_invite.intro",
                &[("challenge", challenge), ("inviter", inviter)],
            ),
            t.get("email.team_invite.action"),
            Some(url.as_str()),
            t.get("email.team_invite.outro").to_owned(),
        ),
        EmailKind::JudgeInvitation {
            challenge,
            inviter,
            url,
        } => (
            "judge_invitation",
            t.fmt("email.judge_invite.subject", &[("challenge", challenge)]),
            t.fmt(
                "email.judge_invite.intro",
                &[("challenge", challenge), ("inviter", inviter)],
            ),
            t.get("email.judge_invite.action"),
            Some(url.as_str()),
            t.get("email.judge_invite.outro").to_owned(),
        ),
        EmailKind::Winner {
            challenge,
            title,
            prize,
            url,
        } => (
            "results_winner",
            t.fmt("email.winner.subject", &[("challenge", challenge)]),
            t.fmt(
                "email.winner.intro",
                &[
                    ("challenge", challenge),
                    ("title", title),
                    ("prize", &amount_text(t, prize)),
                ],
            ),
            t.get("email.winner.action"),
            Some(url.as_str()),
            t.get("email.winner.outro").to_owned(),
        ),
        EmailKind::ResultsPublished {
            challenge,
            title,
            url,
        } => (
            "results_published",
            t.fmt("email.results.subject", &[("challenge", challenge)]),
            t.fmt(
                "email.results.intro",
                &[("challenge", challenge), ("title", title)],
            ),
            t.get("email.results.action"),
            Some(url.as_str()),
            t.get("email.results.outro").to_owned(),
        ),
        EmailKind::FundingRequested {
            challenge,
            total,
            reference,
            card,
            bank,
            url,
        } => (
            "funding_requested",
            t.fmt(
                "email.funding_requested.subject",
                &[("challenge", challenge)],
            ),
            t.fmt(
                "email.funding_requested.intro",
                &[
                    ("challenge", challenge),
                    ("total", &amount_text(t, total)),
                    ("reference", reference),
                ],
            ),
            t.get("email.funding.action"),
            Some(url.as_str()),
            how_to_pay(t, *card, bank.as_ref()),
        ),
        EmailKind::FundingConfirmed {
            challenge,
            amount,
            url,
        } => (
            "funding_confirmed",
            t.fmt(
                "email.funding_confirmed.subject",
                &[("challenge", challenge)],
            ),
            t.fmt(
                "email.funding_confirmed.intro",
                &[
                    ("challenge", challenge),
                    ("amount", &amount_text(t, amount)),
                ],
            ),
            t.get("email.funding.action"),
            Some(url.as_str()),
            t.get("email.funding_confirmed.outro").to_owned(),
        ),
        EmailKind::PayoutPaid {
            challenge,
            amount,
            url,
        } => (
            "payout_paid",
            t.fmt("email.payout_paid.subject", &[("challenge", challenge)]),
            t.fmt(
                "email.payout_paid.intro",
                &[
                    ("challenge", challenge),
                    ("amount", &amount_text(t, amount)),
                ],
            ),
            t.get("email.payout.action"),
            Some(url.as_str()),
            t.get("email.payout_paid.outro").to_owned(),
        ),
        EmailKind::PayoutFailed {
            challenge,
            amount,
            url,
        } => (
            "payout_failed",
            t.fmt("email.payout_failed.subject", &[("challenge", challenge)]),
            t.fmt(
                "email.payout_failed.intro",
                &[
                    ("challenge", challenge),
                    ("amount", &amount_text(t, amount)),
                ],
            ),
            t.get("email.payout.action"),
            Some(url.as_str()),
            t.get("email.payout_failed.outro").to_owned(),
        ),
        EmailKind::ChallengePublished {
            challenge,
            org,
            summary,
            url,
        } => (
            "challenge_published",
            t.fmt("email.published.subject", &[("challenge", challenge)]),
            t.fmt(
                "email.published.intro",
                &[("challenge", challenge), ("org", org), ("summary", summary)],
            ),
            t.get("email.published.action"),
            Some(url.as_str()),
            t.get("email.published.outro").to_owned(),
        ),
        EmailKind::DeadlineReminder {
            challenge,
            last_day,
            deadline,
            url,
        } => (
            "deadline_reminder",
            t.fmt(
                if *last_day {
                    "email.reminder.subject_day"
                } else {
                    "email.reminder.subject_week"
                },
                &[("challenge", challenge)],
            ),
            t.fmt(
                "email.reminder.intro",
                &[("challenge", challenge), ("deadline", deadline)],
            ),
            t.get("email.reminder.action"),
            Some(url.as_str()),
            t.get("email.reminder.outro").to_owned(),
        ),
        EmailKind::JudgingReminder {
            challenge,
            left,
            deadline,
            url,
        } => (
            "judging_reminder",
            t.fmt(
                "email.judging_reminder.subject",
                &[("challenge", challenge)],
            ),
            t.fmt(
                "email.judging_reminder.intro",
                &[
                    ("challenge", challenge),
                    ("left", &left.to_string()),
                    ("deadline", deadline),
                ],
            ),
            t.get("email.round.action"),
            Some(url.as_str()),
            t.get("email.judging_reminder.outro").to_owned(),
        ),
        EmailKind::WebhookDisabled { org, url, link } => (
            "webhook_disabled",
            t.fmt("email.webhook_disabled.subject", &[("org", org)]),
            t.fmt(
                "email.webhook_disabled.intro",
                &[("org", org), ("url", url)],
            ),
            t.get("email.webhook_disabled.action"),
            Some(link.as_str()),
            t.get("email.webhook_disabled.outro").to_owned(),
        ),
        EmailKind::RegistrationConfirmed {
            challenge,
            deadline,
            url,
        } => (
            "registration_confirmed",
            t.fmt("email.registered.subject", &[("challenge", challenge)]),
            t.fmt(
                "email.registered.intro",
                &[("challenge", challenge), ("deadline", deadline)],
            ),
            t.get("email.registered.action"),
            Some(url.as_str()),
            t.get("email.registered.outro").to_owned(),
        ),
        EmailKind::RoundOpened {
            challenge,
            round,
            url,
        } => (
            "round_opened",
            t.fmt("email.round_opened.subject", &[("challenge", challenge)]),
            t.fmt(
                "email.round_opened.intro",
                &[("challenge", challenge), ("round", round)],
            ),
            t.get("email.round.action"),
            Some(url.as_str()),
            t.get("email.round_opened.outro").to_owned(),
        ),
        EmailKind::RoundClosed {
            challenge,
            round,
            url,
        } => (
            "round_closed",
            t.fmt("email.round_closed.subject", &[("challenge", challenge)]),
            t.fmt(
                "email.round_closed.intro",
                &[("challenge", challenge), ("round", round)],
            ),
            t.get("email.round.action"),
            Some(url.as_str()),
            t.get("email.round_closed.outro").to_owned(),
        ),
    };
    let html = ActionHtml {
        t,
        subject: &subject,
        greeting: &greeting,
        intro: &intro,
        action_label: label,
        action_url: url,
        outro: &outro,
        unsubscribe: unsubscribe.then_some(UNSUBSCRIBE_MARKER),
    }
    .render()
    .map_err(|e| e.to_string())?;
    let text = ActionText {
        greeting: &greeting,
        intro: &intro,
        action_label: label,
        action_url: url,
        outro: &outro,
        unsubscribe: unsubscribe.then_some(UNSUBSCRIBE_MARKER),
        unsubscribe_label: t.get("email.unsubscribe"),
    }
    .render()
    .map_err(|e| e.to_string())?;
    Ok(Outgoing {
        kind: id,
        to: to.to_owned(),
        subject,
        text,
        html,
        summary: intro,
        url: url.map(str::to_owned),
    })
}

/// An amount as the services format it ("1 050.00 EUR"), in the reader's
/// form: French writes a decimal comma, as the pages do.
fn amount_text(t: Tr, formatted: &str) -> String {
    match t.lang {
        Language::Fr => formatted.replace('.', ","),
        Language::En => formatted.to_owned(),
    }
}

/// How to pay a funding request, in one paragraph.
fn how_to_pay(t: Tr, card: bool, bank: Option<&crate::config::BankDetails>) -> String {
    if card {
        return t.get("email.funding_requested.card").to_owned();
    }
    let Some(b) = bank else {
        return t.get("email.funding_requested.no_bank").to_owned();
    };
    let mut parts = vec![t.fmt("email.funding_requested.iban", &[("iban", &b.iban)])];
    if let Some(bic) = &b.bic {
        parts.push(t.fmt("email.funding_requested.bic", &[("bic", bic)]));
    }
    if let Some(h) = &b.account_holder {
        parts.push(t.fmt("email.funding_requested.holder", &[("holder", h)]));
    }
    if let Some(n) = &b.bank_name {
        parts.push(t.fmt("email.funding_requested.bank", &[("bank", n)]));
    }
    parts.join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_written_in_the_recipients_language() {
        let kind = EmailKind::VerifyEmail {
            url: "http://x/verify?token=abc".into(),
        };
        let en =
            compose(&kind, "a@b.org", "Ada", Language::En, false).unwrap_or_else(|e| panic!("{e}"));
        let fr =
            compose(&kind, "a@b.org", "Ada", Language::Fr, false).unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(en.subject, fr.subject);
        assert!(en.text.contains("http://x/verify?token=abc"));
        assert!(fr.html.contains("http://x/verify?token=abc"));
        assert!(fr.html.contains("lang=\"fr\""));
    }

    #[test]
    fn amounts_take_the_readers_form() {
        let kind = EmailKind::FundingConfirmed {
            challenge: "Reef v2.0".into(),
            amount: "1\u{202f}050.00 EUR".into(),
            url: "http://x/m".into(),
        };
        let fr =
            compose(&kind, "a@b.org", "Ada", Language::Fr, false).unwrap_or_else(|e| panic!("{e}"));
        assert!(fr.text.contains("1\u{202f}050,00 EUR"), "{}", fr.text);
        assert!(fr.text.contains("Reef v2.0"), "titles keep their dots");
        let en =
            compose(&kind, "a@b.org", "Ada", Language::En, false).unwrap_or_else(|e| panic!("{e}"));
        assert!(en.text.contains("1\u{202f}050.00 EUR"));
    }

    #[test]
    fn html_bodies_escape_names() {
        let kind = EmailKind::OrgInvitation {
            org_name: "<script>x</script>".into(),
            inviter: "Eve".into(),
            url: "http://x/i".into(),
        };
        let m =
            compose(&kind, "a@b.org", "", Language::En, false).unwrap_or_else(|e| panic!("{e}"));
        assert!(!m.html.contains("<script>x"));
    }
}
