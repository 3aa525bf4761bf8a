//! The transports that deliver mail (file, SMTP, log), with each message's
//! stable Message-ID and, for notifications, its one-click unsubscribe
//! headers.

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::{FileTransport, Message, SmtpTransport, Transport};

use crate::config::{Config, MailTransport};

/// One message as the worker hands it to a transport.
#[derive(Debug, Clone, Copy)]
pub struct Sending<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
    /// `<outbox-id@host>`.
    pub message_id: &'a str,
    /// The signed one-click unsubscribe link of a notification.
    pub unsubscribe: Option<&'a str>,
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

    /// Delivers one message (blocking), with its Message-ID (the same on
    /// every retry, so a receiver can drop a duplicate) and, for a
    /// notification, its one-click unsubscribe link (RFC 8058).
    pub fn send(&self, m: &Sending<'_>) -> Result<(), String> {
        let Sending {
            from,
            to,
            subject,
            text,
            html,
            message_id,
            unsubscribe,
        } = *m;
        if let Mailer::Log = self {
            tracing::info!(%to, %subject, "email (log transport)");
            return Ok(());
        }
        let from: Mailbox = from.parse().map_err(|e| format!("invalid sender: {e}"))?;
        let to_box: Mailbox = to.parse().map_err(|e| format!("invalid recipient: {e}"))?;
        let mut builder = Message::builder()
            .from(from)
            .to(to_box)
            .subject(subject)
            .message_id(Some(message_id.to_owned()));
        if let Some(url) = unsubscribe {
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
        }
        let message = builder
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
