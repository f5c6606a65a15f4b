"""How reset mail leaves: over TLS when asked; logged and counted when it cannot go out."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trio
import trustme

from courtside.server.config import Config
from tests.accounts import make_user
from tests.sign_in.mail_server import Inbox, MailServer
from tests.sign_in.test_provider_failures import closed_port

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


async def mail_failures(client: httpx.AsyncClient) -> float:
    for line in (await client.get("/metrics")).text.splitlines():
        if line.startswith("courtside_mail_failures_total "):
            return float(line.split()[1])
    raise AssertionError("no courtside_mail_failures_total metric")


@pytest.fixture(params=["starttls", "tls"])
def tls_mail_server(
    request: pytest.FixtureRequest, inbox: Inbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MailServer]:
    ca = trustme.CA()
    ca.cert_pem.write_to_path(tmp_path / "ca.pem")
    # The mailer verifies the server against the default trust store, which this extends.
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    with MailServer(inbox, request.param, ca) as server:
        yield server


class TestOverTls:
    @pytest.fixture
    def config(self, config: Config, tls_mail_server: MailServer) -> Config:
        return dataclasses.replace(config, smtp_url=tls_mail_server.url)

    async def test_the_mail_goes_out_encrypted_and_logged_in(
        self, client: httpx.AsyncClient, inbox: Inbox
    ) -> None:
        await make_user(client, "alice", email="alice@example.org")
        response = await client.post("/api/auth/password-reset/", json={"email": "alice@example.org"})
        assert response.status_code == 202
        mail = await inbox.next()
        assert "/password-reset/?token=" in mail.get_content()


class TestWithoutAnSmtpServer:
    @pytest.fixture
    def config(self, config: Config) -> Config:
        return dataclasses.replace(config, smtp_url=None)

    async def test_the_link_is_written_to_the_log(
        self, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO, logger="courtside.http.auth.mail")
        await make_user(client, "alice", email="alice@example.org")
        response = await client.post("/api/auth/password-reset/", json={"email": "alice@example.org"})
        assert response.status_code == 202
        with trio.fail_after(10):
            while not any("/password-reset/?token=" in record.getMessage()
                          for record in caplog.records):
                await trio.sleep(0.01)


class TestWithAnSmtpServerDown:
    @pytest.fixture
    def config(self, config: Config) -> Config:
        return dataclasses.replace(config, smtp_url=f"smtp://127.0.0.1:{closed_port()}")

    async def test_the_request_is_answered_and_the_failure_counted(
        self, client: httpx.AsyncClient
    ) -> None:
        await make_user(client, "alice", email="alice@example.org")
        assert await mail_failures(client) == 0
        response = await client.post("/api/auth/password-reset/", json={"email": "alice@example.org"})
        assert response.status_code == 202
        with trio.fail_after(10):
            while await mail_failures(client) < 1:
                await trio.sleep(0.01)
