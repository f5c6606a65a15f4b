"""A real SMTP server for the tests (aiosmtpd, in its own thread) and its inbox."""

from __future__ import annotations

import socket
import ssl
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import trio
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USERNAME, PASSWORD = "courtside", "mail-secret-9"
WAIT = 10.0


def _free_port() -> int:
    # aiosmtpd's controller checks its server by connecting to the port it was given.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """What the SMTP server accepted, in order, handed over to the Trio side."""

    def __init__(self) -> None:
        self._token = trio.lowlevel.current_trio_token()
        self._deliver, self._received = trio.open_memory_channel[EmailMessage](100)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        # Called on aiosmtpd's asyncio thread.
        message = message_from_bytes(envelope.content, policy=policy.default)
        trio.from_thread.run_sync(self._deliver.send_nowait, message, trio_token=self._token)
        return "250 Message accepted for delivery"

    async def next(self) -> EmailMessage:
        with trio.fail_after(WAIT):
            return await self._received.receive()


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login.decode(), auth_data.password.decode()) == (USERNAME, PASSWORD)
    return AuthResult(success=ok)


class MailServer:
    """Accepts mail only from a client that logged in.

    ``plain`` SMTP (login without TLS: loopback only), ``starttls`` (required
    before login) or ``tls`` from the first byte, with a certificate for
    127.0.0.1 from ``ca``, a CA the client must be made to trust.
    """

    SCHEMES = {"plain": "smtp", "starttls": "smtp+starttls", "tls": "smtps"}

    def __init__(self, inbox: Inbox, security: str = "plain", ca: trustme.CA | None = None) -> None:
        self.inbox = inbox
        self.port = _free_port()
        self.security = security
        tls: dict[str, Any] = {}
        if security != "plain":
            assert ca is not None
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ca.issue_cert("127.0.0.1").configure_cert(context)
            tls = ({"tls_context": context, "require_starttls": True} if security == "starttls"
                   else {"ssl_context": context})
        self._controller = Controller(
            inbox, hostname="127.0.0.1", port=self.port, authenticator=_authenticate,
            # aiosmtpd only sees STARTTLS as TLS: with TLS from the first byte it
            # must be told that login needs none (the whole connection is encrypted).
            auth_required=True, auth_require_tls=security == "starttls", **tls,
        )

    @property
    def url(self) -> str:
        return f"{self.SCHEMES[self.security]}://{USERNAME}:{PASSWORD}@127.0.0.1:{self.port}"

    def __enter__(self) -> MailServer:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()
