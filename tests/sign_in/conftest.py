"""The server under test, wired to a real SMTP server and a real OAuth provider."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from courtside.server.config import Config, OAuthProviderSettings
from courtside.server.node import Node
from tests.sign_in.mail_server import Inbox, MailServer
from tests.sign_in.oauth_server import OAuthProvider

# "acme" speaks OpenID Connect (discovery); "forge" plain OAuth 2.0, as GitHub does.
OIDC_CLIENT = ("courtside-acme", "acme-client-secret")
PLAIN_CLIENT = ("courtside-forge", "forge-client-secret")


@pytest.fixture
async def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def mail_server(inbox: Inbox) -> Iterator[MailServer]:
    with MailServer(inbox) as server:
        yield server


@pytest.fixture
def oauth_provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[OAuthProvider]:
    # Authlib refuses plain http unless told this is a test: the provider is on loopback.
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    with OAuthProvider() as provider:
        yield provider


def provider_settings(provider: OAuthProvider, *, acme_secret: str = OIDC_CLIENT[1]
                      ) -> tuple[OAuthProviderSettings, ...]:
    return (
        OAuthProviderSettings(
            name="acme", client_id=OIDC_CLIENT[0], client_secret=acme_secret,
            discovery_url=f"{provider.url}/.well-known/openid-configuration",
        ),
        OAuthProviderSettings(
            name="forge", client_id=PLAIN_CLIENT[0], client_secret=PLAIN_CLIENT[1],
            authorize_url=f"{provider.url}/authorize", token_url=f"{provider.url}/token",
            userinfo_url=f"{provider.url}/api/user", scope="read:user",
        ),
    )


@pytest.fixture
def config(config: Config, mail_server: MailServer, oauth_provider: OAuthProvider) -> Config:
    return dataclasses.replace(
        config, smtp_url=mail_server.url, mail_from="Courtside <accounts@courtside.test>",
        oauth_providers=provider_settings(oauth_provider),
    )


@pytest.fixture
async def node(node: Node, oauth_provider: OAuthProvider) -> Node:
    """The server; its callback URLs are registered at the provider once it listens."""
    # As in the wild: OpenID Connect's client_secret_basic, GitHub's client_secret_post.
    for (client_id, secret), name, method in ((OIDC_CLIENT, "acme", "client_secret_basic"),
                                              (PLAIN_CLIENT, "forge", "client_secret_post")):
        callback = f"{node.http_url}/api/auth/oauth/{name}/callback/"
        oauth_provider.register(client_id, secret, [callback], method)
    return node
