"""An existing account links and unlinks providers, never losing its last way in."""

from __future__ import annotations

import httpx
import pytest

from tests.accounts import DEFAULT_PASSWORD, Account, make_guest, make_user
from tests.sign_in.oauth_browser import at_provider, come_back, sign_in_with
from tests.sign_in.oauth_server import OAuthProvider, ProviderUser

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


async def link(client: httpx.AsyncClient, account: Account | dict[str, str], provider: str) -> httpx.Response:
    access = account.access if isinstance(account, Account) else account["access"]
    start = await client.post(f"/api/auth/oauth/{provider}/",
                              headers={"Authorization": f"Bearer {access}"})
    assert start.status_code == 200, start.text
    return await come_back(client, await at_provider(client, start, start.json()["authorize_url"]))


async def unlink(client: httpx.AsyncClient, access: str, provider: str) -> httpx.Response:
    return await client.delete(f"/api/auth/oauth/{provider}/",
                               headers={"Authorization": f"Bearer {access}"})


async def user_id(client: httpx.AsyncClient, access: str) -> int:
    return (await client.get("/api/users/me/", headers={"Authorization": f"Bearer {access}"})).json()["id"]


async def test_a_linked_provider_signs_into_the_existing_account(client: httpx.AsyncClient) -> None:
    bob = await make_user(client, "bob")
    linked = await link(client, bob, "acme")
    assert linked.status_code == 200, linked.text
    assert linked.json() == {"provider": "acme", "linked": True}

    listed = await client.get("/api/auth/oauth/linked/", headers=bob.headers)
    assert listed.json()["has_password"] is True
    assert [entry["provider"] for entry in listed.json()["linked"]] == ["acme"]

    signed_in = await sign_in_with(client, "acme")
    assert signed_in.status_code == 200
    assert signed_in.json()["created"] is False
    assert await user_id(client, signed_in.json()["access"]) == bob.id
    # The password still works beside it.
    login = await client.post("/api/auth/login/", json={"username": "bob", "password": DEFAULT_PASSWORD})
    assert login.status_code == 200


async def test_linking_twice_is_harmless(client: httpx.AsyncClient) -> None:
    bob = await make_user(client, "bob")
    assert (await link(client, bob, "acme")).status_code == 200
    assert (await link(client, bob, "acme")).status_code == 200


async def test_a_provider_account_signs_into_one_account_only(
    client: httpx.AsyncClient, oauth_provider: OAuthProvider
) -> None:
    await sign_in_with(client, "acme")  # alice's provider account now has its own account
    bob = await make_user(client, "bob")
    taken = await link(client, bob, "acme")
    assert taken.status_code == 409
    assert taken.json()["code"] == "oauth_identity_taken"

    oauth_provider.signed_in = ProviderUser("3003", "bobby", "Bob", None)
    assert (await link(client, bob, "acme")).status_code == 200
    oauth_provider.signed_in = ProviderUser("3004", "bobby2", "Bob again", None)
    second = await link(client, bob, "acme")
    assert second.status_code == 409
    assert second.json()["code"] == "oauth_provider_linked"


async def test_an_unlinked_provider_no_longer_signs_in(client: httpx.AsyncClient) -> None:
    bob = await make_user(client, "bob")
    await link(client, bob, "acme")
    assert (await unlink(client, bob.access, "acme")).status_code == 204
    signed_in = await sign_in_with(client, "acme")
    assert signed_in.status_code == 201  # a new account: the link is gone
    assert await user_id(client, signed_in.json()["access"]) != bob.id

    not_linked = await unlink(client, bob.access, "acme")
    assert not_linked.status_code == 404


async def test_the_last_way_to_sign_in_cannot_be_unlinked(client: httpx.AsyncClient) -> None:
    alice = (await sign_in_with(client, "acme")).json()  # password-less
    last = await unlink(client, alice["access"], "acme")
    assert last.status_code == 409
    assert last.json()["code"] == "last_sign_in_method"

    assert (await link(client, alice, "forge")).status_code == 200
    listed = await client.get("/api/auth/oauth/linked/",
                              headers={"Authorization": f"Bearer {alice['access']}"})
    assert listed.json()["has_password"] is False
    assert [entry["provider"] for entry in listed.json()["linked"]] == ["acme", "forge"]
    assert all(entry["linked_at"].endswith("Z") for entry in listed.json()["linked"])

    assert (await unlink(client, alice["access"], "acme")).status_code == 204
    assert (await unlink(client, alice["access"], "forge")).json()["code"] == "last_sign_in_method"
    # Still in through forge.
    assert (await sign_in_with(client, "forge")).json()["created"] is False


async def test_guests_cannot_link_and_unknown_providers_are_not_found(client: httpx.AsyncClient) -> None:
    guest = await make_guest(client)
    refused = await client.post("/api/auth/oauth/acme/", headers=guest.headers)
    assert refused.status_code == 403
    assert refused.json()["code"] == "guest_account"
    bob = await make_user(client, "bob")
    for method in ("POST", "DELETE"):
        missing = await client.request(method, "/api/auth/oauth/nowhere/", headers=bob.headers)
        assert missing.status_code == 404
