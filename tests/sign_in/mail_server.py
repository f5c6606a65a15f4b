"""A real SMTP server for the tests (aiosmtpd, in its own thread) and its inbox."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import trio
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
    """Accepts mail only from a client that logged in (plain SMTP on loopback)."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox
        self.port = _free_port()
        self._controller = Controller(
            inbox, hostname="127.0.0.1", port=self.port, authenticator=_authenticate,
            auth_required=True, auth_require_tls=False,
        )

    @property
    def url(self) -> str:
        return f"smtp://{USERNAME}:{PASSWORD}@127.0.0.1:{self.port}"

    def __enter__(self) -> MailServer:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()
