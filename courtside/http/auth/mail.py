"""Outgoing mail: SMTP in a worker thread, never on the request that asked for it."""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Literal
from urllib.parse import unquote, urlsplit

import trio
from prometheus_client import CollectorRegistry, Counter

log = logging.getLogger(__name__)

QUEUE_SIZE = 100
SMTP_TIMEOUT_SECONDS = 15.0
_SECURITY = {"smtp": "plain", "smtps": "tls", "smtp+starttls": "starttls"}
_DEFAULT_PORTS = {"plain": 25, "tls": 465, "starttls": 587}


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    subject: str
    text: str


@dataclass(frozen=True, slots=True)
class SmtpServer:
    host: str
    port: int
    security: Literal["plain", "tls", "starttls"]
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        """``smtp://``, ``smtps://`` (TLS from the start) or ``smtp+starttls://``."""
        parts = urlsplit(url)
        security = _SECURITY[parts.scheme]
        return cls(
            host=parts.hostname or "localhost",
            port=parts.port or _DEFAULT_PORTS[security],
            security=security,  # type: ignore[arg-type]
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


class Mailer:
    """Sends queued mail one at a time from a worker thread; callers only queue.

    A full queue or an SMTP failure is logged and counted, never raised to the
    caller: an answer must not wait on the mail server, nor tell whether a mail
    was due at all. Without a server, each mail is written to the log instead.
    """

    def __init__(self, server: SmtpServer | None, sender: str, *, registry: CollectorRegistry) -> None:
        self._server = server
        self._sender = sender
        self._outbox, self._queue = trio.open_memory_channel[Mail](QUEUE_SIZE)
        self._failures = Counter(
            "courtside_mail_failures", "Mails not sent: queue full or the SMTP server failed",
            registry=registry,
        )

    def send(self, mail: Mail) -> None:
        try:
            self._outbox.send_nowait(mail)
        except trio.WouldBlock:
            log.warning("mail queue full: mail to %s dropped", mail.to)
            self._failures.inc()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        async for mail in self._queue:
            if self._server is None:
                log.info("no SMTP server (COURTSIDE_SMTP_URL); mail to %s, %r:\n%s",
                         mail.to, mail.subject, mail.text)
                continue
            try:
                # Abandoned at shutdown: smtplib's own timeout ends the thread.
                await trio.to_thread.run_sync(self._deliver, mail, abandon_on_cancel=True)
            except (OSError, smtplib.SMTPException) as error:
                log.warning("mail to %s not sent: %s", mail.to, error)
                self._failures.inc()

    def _deliver(self, mail: Mail) -> None:
        server = self._server
        assert server is not None
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain=server.host)
        message.set_content(mail.text)
        context = ssl.create_default_context()
        smtp = (
            smtplib.SMTP_SSL(server.host, server.port, timeout=SMTP_TIMEOUT_SECONDS, context=context)
            if server.security == "tls"
            else smtplib.SMTP(server.host, server.port, timeout=SMTP_TIMEOUT_SECONDS)
        )
        with smtp:
            if server.security == "starttls":
                smtp.starttls(context=context)
            if server.username is not None:
                smtp.login(server.username, server.password or "")
            smtp.send_message(message)
