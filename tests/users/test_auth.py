"""Accounts and sessions as a client lives them (DESIGN.md §4)."""

from __future__ import annotations

import dataclasses

import httpx
import jwt
import pytest
import trio

from courtside.server.config import Config
from tests.accounts import DEFAULT_PASSWORD, make_guest, make_user
from tests.conftest import TEST_SECRET


def set_cookies(response: httpx.Response) -> dict[str, str]:
    """Set-Cookie lines by cookie name."""
    return {line.split("=", 1)[0]: line for line in response.headers.get_list("set-cookie")}


def cookie_value(line: str) -> str:
    return line.split(";", 1)[0].split("=", 1)[1]


async def test_registration_returns_tokens_in_body_and_cookies(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/register/", json={"username": "Alice", "password": "wonderland42"}
    )
    assert response.status_code == 201
    tokens = response.json()
    assert set(tokens) == {"access", "refresh"}

    cookies = set_cookies(response)
    for name, max_age in (("access", 900), ("refresh", 14 * 24 * 3600)):
        line = cookies[name]
        assert cookie_value(line) == tokens[name]
        for attribute in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/", f"Max-Age={max_age}"):
            assert attribute in line, (name, line)
    assert "HttpOnly" not in cookies["csrftoken"]
    assert "SameSite=Strict" in cookies["csrftoken"]

    claims = jwt.decode(tokens["access"], TEST_SECRET, algorithms=["HS256"])
    me = (await client.get("/api/users/me/", headers={"Authorization": f"Bearer {tokens['access']}"})).json()
    assert claims["sub"] == str(me["id"])
    assert claims["typ"] == "access"
    assert claims["exp"] - claims["iat"] == 900
    assert me["username"] == "Alice"
    assert me["nickname"] == "Alice"  # defaults to the username
    assert me["is_guest"] is False
    assert me["created_at"].endswith("Z")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "al", "password": "wonderland42"}, "username"),
        ({"username": "al ice", "password": "wonderland42"}, "username"),
        ({"username": "a" * 21, "password": "wonderland42"}, "username"),
        ({"username": "alice", "password": "short1"}, "password"),
        ({"username": "alice", "password": "nodigitshere"}, "password"),
        ({"username": "alice", "password": "12345678901"}, "password"),
        ({"username": "alice", "password": "xxALICExx99"}, "password"),
        ({"username": "alice", "password": "a1" * 65}, "password"),
        ({"username": "alice", "password": "wonderland42", "email": "not-an-email"}, "email"),
        ({"username": "alice", "password": "wonderland42", "nickname": "   "}, "nickname"),
    ],
)
async def test_registration_rules_name_the_field(
    client: httpx.AsyncClient, body: dict[str, str], field: str
) -> None:
    response = await client.post("/api/auth/register/", json=body)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


async def test_taken_username_is_a_field_error_whatever_its_case(client: httpx.AsyncClient) -> None:
    await make_user(client, "alice")
    response = await client.post(
        "/api/auth/register/", json={"username": "ALICE", "password": "wonderland42"}
    )
    assert response.status_code == 400
    assert "username" in response.json()["errors"]


async def test_login_with_right_and_wrong_credentials(client: httpx.AsyncClient) -> None:
    await make_user(client, "bob")
    ok = await client.post("/api/auth/login/", json={"username": "BOB", "password": DEFAULT_PASSWORD})
    assert ok.status_code == 200
    assert set(ok.json()) == {"access", "refresh"}

    wrong = await client.post("/api/auth/login/", json={"username": "bob", "password": "nope12345"})
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "incorrect_password"

    unknown = await client.post("/api/auth/login/", json={"username": "carol", "password": "x1234567"})
    assert unknown.status_code == 401
    assert unknown.json()["code"] == "authentication_failed"


async def test_refresh_rotates_and_a_reused_token_revokes_the_family(
    client: httpx.AsyncClient,
) -> None:
    alice = await make_user(client, "alice")
    rotated = await client.post("/api/auth/refresh/", json={"refresh": alice.refresh})
    assert rotated.status_code == 200
    new = rotated.json()
    assert set(new) == {"access", "refresh"}
    assert new["refresh"] != alice.refresh
    assert (await client.get("/api/users/me/", headers={"Authorization": f"Bearer {new['access']}"})).status_code == 200

    # The old token comes back: someone else holds it. The whole family dies.
    reused = await client.post("/api/auth/refresh/", json={"refresh": alice.refresh})
    assert reused.status_code == 401
    assert reused.json()["code"] == "token_not_valid"
    after = await client.post("/api/auth/refresh/", json={"refresh": new["refresh"]})
    assert after.status_code == 401

    # Another login is another family, untouched.
    again = await client.post("/api/auth/login/", json={"username": "alice", "password": DEFAULT_PASSWORD})
    assert (await client.post("/api/auth/refresh/", json={"refresh": again.json()["refresh"]})).status_code == 200


async def test_refresh_by_cookie_needs_the_csrf_token(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/register/", json={"username": "alice", "password": "wonderland42"}
    )
    cookies = {name: cookie_value(line) for name, line in set_cookies(response).items()}
    jar = f"refresh={cookies['refresh']}; csrftoken={cookies['csrftoken']}"
    refused = await client.post("/api/auth/refresh/", headers={"Cookie": jar})
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    accepted = await client.post(
        "/api/auth/refresh/", headers={"Cookie": jar, "X-CSRF-Token": cookies["csrftoken"]}
    )
    assert accepted.status_code == 200
    assert cookie_value(set_cookies(accepted)["refresh"]) == accepted.json()["refresh"]


async def test_logout_revokes_the_family_and_clears_cookies(client: httpx.AsyncClient) -> None:
    alice = await make_user(client, "alice")
    response = await client.post(
        "/api/auth/logout/", json={"refresh": alice.refresh}, headers=alice.headers
    )
    assert response.status_code == 204
    for line in set_cookies(response).values():
        assert "Max-Age=0" in line
    assert (await client.post("/api/auth/refresh/", json={"refresh": alice.refresh})).status_code == 401


async def test_logout_refuses_someone_elses_refresh_token(client: httpx.AsyncClient) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    response = await client.post("/api/auth/logout/", json={"refresh": bob.refresh}, headers=alice.headers)
    assert response.status_code == 403
    assert (await client.post("/api/auth/refresh/", json={"refresh": bob.refresh})).status_code == 200


async def test_password_change_ends_every_other_session(client: httpx.AsyncClient) -> None:
    alice = await make_user(client, "alice")
    laptop = (await client.post(
        "/api/auth/login/", json={"username": "alice", "password": DEFAULT_PASSWORD}
    )).json()

    missing_old = await client.patch("/api/users/me/", json={"password": "new-secret-7"}, headers=alice.headers)
    assert missing_old.status_code == 400
    assert "old_password" in missing_old.json()["errors"]
    wrong_old = await client.patch(
        "/api/users/me/", json={"password": "new-secret-7", "old_password": "nope1234"}, headers=alice.headers
    )
    assert wrong_old.status_code == 401
    assert wrong_old.json()["code"] == "incorrect_password"

    changed = await client.patch(
        "/api/users/me/",
        json={"password": "new-secret-7", "old_password": DEFAULT_PASSWORD},
        headers=alice.headers,
    )
    assert changed.status_code == 200
    fresh = changed.json()

    assert (await client.get("/api/users/me/", headers=alice.headers)).status_code == 401
    laptop_me = await client.get("/api/users/me/", headers={"Authorization": f"Bearer {laptop['access']}"})
    assert laptop_me.json()["code"] == "token_not_valid"
    assert (await client.post("/api/auth/refresh/", json={"refresh": laptop["refresh"]})).status_code == 401
    assert (await client.get("/api/users/me/", headers={"Authorization": f"Bearer {fresh['access']}"})).status_code == 200
    login = await client.post("/api/auth/login/", json={"username": "alice", "password": "new-secret-7"})
    assert login.status_code == 200


async def test_deleting_the_account_needs_the_password_and_removes_personal_data(
    client: httpx.AsyncClient,
) -> None:
    alice = await make_user(client, "alice", email="alice@example.org")
    bob = await make_user(client, "bob")

    missing = await client.request("DELETE", "/api/users/me/", headers=alice.headers)
    assert missing.status_code == 401
    assert missing.json()["code"] == "password_confirmation_required"
    wrong = await client.request("DELETE", "/api/users/me/", json={"password": "nope1234"}, headers=alice.headers)
    assert wrong.json()["code"] == "incorrect_password"

    deleted = await client.request(
        "DELETE", "/api/users/me/", json={"password": DEFAULT_PASSWORD}, headers=alice.headers
    )
    assert deleted.status_code == 204
    assert (await client.get("/api/users/me/", headers=alice.headers)).json()["code"] in (
        "user_not_found", "token_not_valid",
    )
    assert (await client.post("/api/auth/refresh/", json={"refresh": alice.refresh})).status_code == 401
    assert (await client.get(f"/api/users/{alice.id}/", headers=bob.headers)).status_code == 404
    search = (await client.get("/api/users/?q=alice", headers=bob.headers)).json()
    assert search["count"] == 0
    # The name is free again.
    await make_user(client, "alice")


async def test_guest_plays_then_registers_keeping_its_account(client: httpx.AsyncClient) -> None:
    guest = await make_guest(client)
    me = (await client.get("/api/users/me/", headers=guest.headers)).json()
    assert me["is_guest"] is True
    assert me["username"].startswith("guest_")

    refused = await client.patch("/api/users/me/", json={"password": "x" * 8 + "1"}, headers=guest.headers)
    assert refused.status_code == 403

    registered = await client.put(
        "/api/auth/register/guest/",
        json={"username": "dana", "password": "secret-hoop-42"},
        headers=guest.headers,
    )
    assert registered.status_code == 200
    tokens = registered.json()
    me = (await client.get("/api/users/me/", headers={"Authorization": f"Bearer {tokens['access']}"})).json()
    assert (me["id"], me["username"], me["is_guest"]) == (guest.id, "dana", False)

    again = await client.put(
        "/api/auth/register/guest/",
        json={"username": "dana2", "password": "secret-hoop-42"},
        headers={"Authorization": f"Bearer {tokens['access']}"},
    )
    assert again.status_code == 403


async def test_cookie_authenticated_writes_need_the_csrf_header(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/register/", json={"username": "alice", "password": "wonderland42"}
    )
    cookies = {name: cookie_value(line) for name, line in set_cookies(response).items()}
    jar = {"Cookie": f"access={cookies['access']}; csrftoken={cookies['csrftoken']}"}

    assert (await client.get("/api/users/me/", headers=jar)).status_code == 200
    refused = await client.patch("/api/users/me/", json={"nickname": "Al"}, headers=jar)
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    wrong = await client.patch(
        "/api/users/me/", json={"nickname": "Al"}, headers={**jar, "X-CSRF-Token": "guess"}
    )
    assert wrong.status_code == 403
    ok = await client.patch(
        "/api/users/me/", json={"nickname": "Al"}, headers={**jar, "X-CSRF-Token": cookies["csrftoken"]}
    )
    assert ok.status_code == 200
    bearer = await client.patch(
        "/api/users/me/", json={"nickname": "Ally"},
        headers={"Authorization": f"Bearer {response.json()['access']}"},
    )
    assert bearer.json()["nickname"] == "Ally"


@pytest.fixture
def config(config: Config) -> Config:
    return dataclasses.replace(config, failed_logins_per_username=3, failed_logins_per_ip=5)


async def test_failed_logins_are_limited_per_username_and_per_ip(client: httpx.AsyncClient) -> None:
    await make_user(client, "alice")
    for _ in range(3):
        wrong = await client.post("/api/auth/login/", json={"username": "alice", "password": "bad-guess-1"})
        assert wrong.status_code == 401
    locked = await client.post("/api/auth/login/", json={"username": "alice", "password": DEFAULT_PASSWORD})
    assert locked.status_code == 429
    assert locked.json() == {"detail": "Request was throttled.", "code": "throttled"}
    assert int(locked.headers["retry-after"]) > 0

    # Another name from the same address still works until the address runs out.
    await make_user(client, "bob")
    for _ in range(2):
        await client.post("/api/auth/login/", json={"username": "bob", "password": "bad-guess-1"})
    blocked_ip = await client.post("/api/auth/login/", json={"username": "bob", "password": DEFAULT_PASSWORD})
    assert blocked_ip.status_code == 429


async def test_a_refresh_token_used_twice_at_once_leaves_no_live_session(
    client: httpx.AsyncClient,
) -> None:
    """Two holders race with one token: whichever loses revokes the family,
    so the winner's new token is dead too."""
    alice = await make_user(client, "alice")
    results: list[httpx.Response] = []

    async def use() -> None:
        results.append(await client.post("/api/auth/refresh/", json={"refresh": alice.refresh}))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(use)
        nursery.start_soon(use)
    assert sorted(r.status_code for r in results) == [200, 401]
    winner = next(r for r in results if r.status_code == 200).json()
    assert (await client.post("/api/auth/refresh/", json={"refresh": winner["refresh"]})).status_code == 401
