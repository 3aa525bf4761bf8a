//! Composing emails from templates in the recipient's language, and the
//! transports that deliver them (file, SMTP, log).

use askama::Template;
use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{FileTransport, Message, SmtpTransport, Transport};

use crate::config::{Config, MailTransport};
use crate::i18n::{Language, Tr};

/// A rendered email, ready for the outbox.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub kind: &'static str,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

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
}

#[derive(Template)]
#[template(path = "email/action.txt")]
struct ActionText<'a> {
    greeting: &'a str,
    intro: &'a str,
    action_label: &'a str,
    action_url: Option<&'a str>,
    outro: &'a str,
}

/// Renders an email of `kind` for `to` (greeted as `name`) in `lang`.
pub fn compose(kind: &EmailKind, to: &str, name: &str, lang: Language) -> Result<Outgoing, String> {
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
    };
    let html = ActionHtml {
        t,
        subject: &subject,
        greeting: &greeting,
        intro: &intro,
        action_label: label,
        action_url: url,
        outro: &outro,
    }
    .render()
    .map_err(|e| e.to_string())?;
    let text = ActionText {
        greeting: &greeting,
        intro: &intro,
        action_label: label,
        action_url: url,
        outro: &outro,
    }
    .render()
    .map_err(|e| e.to_string())?;
    Ok(Outgoing {
        kind: id,
        to: to.to_owned(),
        subject,
        text,
        html,
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

/// A configured way of delivering mail.
pub enum Mailer {
    File(FileTransport),
    Smtp(Box<SmtpTransport>),
    Log,
}

impl Mailer {
    /// Builds the transport the configuration names.
    pub fn from_config(config: &Config) -> Result<Self, String> {
        match config.mail_transport {
            MailTransport::File => {
                let dir = config.mail_dir();
                std::fs::create_dir_all(&dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
                Ok(Mailer::File(FileTransport::new(dir)))
            }
            MailTransport::Smtp => {
                let url = config
                    .smtp_url
                    .as_ref()
                    .ok_or("mail_transport = smtp needs TRIBU_SMTP_URL")?;
                let transport = SmtpTransport::from_url(url.expose())
                    .map_err(|e| format!("invalid TRIBU_SMTP_URL: {e}"))?
                    .timeout(Some(std::time::Duration::from_secs(20)))
                    .build();
                Ok(Mailer::Smtp(Box::new(transport)))
            }
            MailTransport::Log => Ok(Mailer::Log),
        }
    }

    /// Delivers one message (blocking).
    pub fn send(
        &self,
        from: &str,
        to: &str,
        subject: &str,
        text: &str,
        html: &str,
    ) -> Result<(), String> {
        if let Mailer::Log = self {
            tracing::info!(%to, %subject, "email (log transport)");
            return Ok(());
        }
        let from: Mailbox = from.parse().map_err(|e| format!("invalid sender: {e}"))?;
        let to_box: Mailbox = to.parse().map_err(|e| format!("invalid recipient: {e}"))?;
        let message = Message::builder()
            .from(from)
            .to(to_box)
            .subject(subject)
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(text.to_owned()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(html.to_owned()),
                    ),
            )
            .map_err(|e| format!("cannot build message: {e}"))?;
        match self {
            Mailer::File(t) => t.send(&message).map(|_| ()).map_err(|e| e.to_string()),
            Mailer::Smtp(t) => t.send(&message).map(|_| ()).map_err(|e| e.to_string()),
            Mailer::Log => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_written_in_the_recipients_language() {
        let kind = EmailKind::VerifyEmail {
            url: "http://x/verify?token=abc".into(),
        };
        let en = compose(&kind, "a@b.org", "Ada", Language::En).unwrap_or_else(|e| panic!("{e}"));
        let fr = compose(&kind, "a@b.org", "Ada", Language::Fr).unwrap_or_else(|e| panic!("{e}"));
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
        let fr = compose(&kind, "a@b.org", "Ada", Language::Fr).unwrap_or_else(|e| panic!("{e}"));
        assert!(fr.text.contains("1\u{202f}050,00 EUR"), "{}", fr.text);
        assert!(fr.text.contains("Reef v2.0"), "titles keep their dots");
        let en = compose(&kind, "a@b.org", "Ada", Language::En).unwrap_or_else(|e| panic!("{e}"));
        assert!(en.text.contains("1\u{202f}050.00 EUR"));
    }

    #[test]
    fn html_bodies_escape_names() {
        let kind = EmailKind::OrgInvitation {
            org_name: "<script>x</script>".into(),
            inviter: "Eve".into(),
            url: "http://x/i".into(),
        };
        let m = compose(&kind, "a@b.org", "", Language::En).unwrap_or_else(|e| panic!("{e}"));
        assert!(!m.html.contains("<script>x"));
    }
}
