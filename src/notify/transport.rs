//! Where mail goes: SMTP (`GGZY_SMTP_URL`, TLS through rustls) in production, or lettre's file
//! transport into `$GGZY_DATA_DIR/mail/` as the embedded default, one `.eml` file per mail.

use std::time::Duration;

use anyhow::Context;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use uuid::Uuid;

use crate::config::Config;

/// How long one SMTP exchange may take before the attempt counts as failed.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

/// A configured transport.
#[derive(Clone)]
pub enum Mailer {
    /// An SMTP relay.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// `.eml` files in a folder.
    File(AsyncFileTransport<Tokio1Executor>),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Smtp(_) => f.write_str("Mailer::Smtp"),
            Mailer::File(_) => f.write_str("Mailer::File"),
        }
    }
}

impl Mailer {
    /// The transport the configuration names.
    pub fn from_config(config: &Config) -> anyhow::Result<Mailer> {
        match &config.smtp_url {
            Some(url) => {
                let mut b = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .context("GGZY_SMTP_URL is not a valid smtp:// or smtps:// URL")?
                    .timeout(Some(SMTP_TIMEOUT));
                if let Some(c) = &config.smtp_credentials {
                    b = b.credentials(Credentials::new(c.user.clone(), c.password.clone()));
                }
                Ok(Mailer::Smtp(b.build()))
            }
            None => {
                let dir = config.data_dir.join("mail");
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("creating the mail folder {}", dir.display()))?;
                Ok(Mailer::File(AsyncFileTransport::new(dir)))
            }
        }
    }

    /// Sends one message; `Ok` means the relay accepted it (or the file was written).
    pub async fn send(&self, message: Message) -> Result<(), SendError> {
        match self {
            Mailer::Smtp(t) => t.send(message).await.map(drop).map_err(|e| SendError {
                permanent: e.is_permanent(),
                message: format!("{e}"),
            }),
            Mailer::File(t) => t.send(message).await.map(drop).map_err(|e| SendError {
                permanent: false,
                message: format!("{e}"),
            }),
        }
    }
}

/// A failed delivery.
#[derive(Debug)]
pub struct SendError {
    /// The relay refused the mail for good (5xx): retrying would not help.
    pub permanent: bool,
    /// What went wrong.
    pub message: String,
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The parts of a queued mail the message is built from.
#[derive(Debug, Clone)]
pub struct Outgoing<'a> {
    /// The mail's id (its Message-ID is derived from it).
    pub id: Uuid,
    /// The recipient's address.
    pub to_addr: &'a str,
    /// The recipient's name.
    pub to_name: &'a str,
    /// The subject.
    pub subject: &'a str,
    /// The plain-text body.
    pub body: &'a str,
}

/// The stable Message-ID of a mail: the same on every attempt, so that a receiver can drop the
/// duplicate of a delivery whose success the platform did not learn of (docs/NOTIFICATIONS.md).
pub fn message_id(id: Uuid, from: &Mailbox) -> String {
    format!("<{}@{}>", id.simple(), from.email.domain())
}

/// Builds the message; an error here (a malformed address) will not heal with retries.
pub fn build(m: &Outgoing, from: &str) -> anyhow::Result<Message> {
    let from: Mailbox = from
        .parse()
        .context("GGZY_MAIL_FROM is not a valid mailbox")?;
    let to = Mailbox::new(
        Some(m.to_name.to_string()),
        m.to_addr
            .parse()
            .with_context(|| format!("{:?} is not a valid address", m.to_addr))?,
    );
    Ok(Message::builder()
        .message_id(Some(message_id(m.id, &from)))
        .from(from)
        .to(to)
        .subject(m.subject)
        .header(ContentType::TEXT_PLAIN)
        .body(m.body.to_string())?)
}
