"""A browser's part in an OAuth sign-in: follow the redirects, carry the flow cookie."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx

from courtside.http.auth.oauth_flow import FLOW_COOKIE


@dataclass(frozen=True)
class Callback:
    """The provider's redirect back to Courtside, not yet followed."""

    url: str
    flow_cookie: str

    @property
    def query(self) -> dict[str, str]:
        return {key: values[0] for key, values in parse_qs(urlsplit(self.url).query).items()}


def flow_cookie(response: httpx.Response) -> str:
    for line in response.headers.get_list("set-cookie"):
        if line.startswith(f"{FLOW_COOKIE}="):
            return line.split(";", 1)[0].split("=", 1)[1]
    raise AssertionError(f"no {FLOW_COOKIE} cookie in {response.headers}")


async def at_provider(client: httpx.AsyncClient, start: httpx.Response, authorize_url: str) -> Callback:
    """The provider signs the user in and redirects back (its consent is implied)."""
    answer = await client.get(authorize_url)
    assert answer.status_code == 302, answer.text
    return Callback(answer.headers["location"], flow_cookie(start))


async def started(client: httpx.AsyncClient, provider: str) -> Callback:
    """GET /api/auth/oauth/<provider>/ and on through the provider."""
    start = await client.get(f"/api/auth/oauth/{provider}/")
    assert start.status_code == 302, start.text
    return await at_provider(client, start, start.headers["location"])


async def come_back(client: httpx.AsyncClient, callback: Callback) -> httpx.Response:
    return await client.get(callback.url, headers={"Cookie": f"{FLOW_COOKIE}={callback.flow_cookie}"})


async def sign_in_with(client: httpx.AsyncClient, provider: str) -> httpx.Response:
    return await come_back(client, await started(client, provider))
