"""A provider that refuses or does not answer gives a clear error, never a 500."""

from __future__ import annotations

import dataclasses
import socket

import httpx
import pytest

from courtside.server.config import Config, OAuthProviderSettings
from tests.sign_in.conftest import provider_settings
from tests.sign_in.oauth_browser import sign_in_with
from tests.sign_in.oauth_server import OAuthProvider

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def config(config: Config, oauth_provider: OAuthProvider) -> Config:
    # acme is given the wrong client secret; "gone" names a provider nobody runs.
    gone = OAuthProviderSettings(
        name="gone", client_id="x",
        discovery_url=f"http://127.0.0.1:{closed_port()}/.well-known/openid-configuration",
    )
    settings = (*provider_settings(oauth_provider, acme_secret="not-the-secret"), gone)
    return dataclasses.replace(config, oauth_providers=settings)


async def test_a_client_secret_the_provider_refuses_is_a_bad_gateway(client: httpx.AsyncClient) -> None:
    response = await sign_in_with(client, "acme")
    assert response.status_code == 502
    assert response.json()["code"] == "oauth_provider_error"
    assert "invalid_client" in response.json()["detail"]


async def test_a_provider_that_does_not_answer_is_a_bad_gateway(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/auth/oauth/gone/")
    assert response.status_code == 502
    assert response.json()["code"] == "oauth_provider_error"


async def test_other_providers_work_beside_a_broken_one(client: httpx.AsyncClient) -> None:
    assert (await sign_in_with(client, "forge")).status_code == 201
