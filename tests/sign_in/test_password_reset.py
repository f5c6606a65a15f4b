"""Forgotten password: a link by mail, through a real SMTP server, then a new password."""

from __future__ import annotations

import re
from email.message import EmailMessage

import httpx
import pytest
import trio

from courtside.persistence import Database
from courtside.server.node import Node
from tests.accounts import DEFAULT_PASSWORD, make_user
from tests.live.conftest import close_code, sse, user_socket
from tests.sign_in.mail_server import Inbox

# Loopback only: the test SMTP server takes the login without TLS.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

NEW_PASSWORD = "a-fresh-start-77"
_LINK = re.compile(r"(http://\S+/password-reset/\?token=(\S+))")


def reset_links(mail: EmailMessage) -> list[tuple[str, str]]:
    return _LINK.findall(mail.get_content())


async def ask_reset(client: httpx.AsyncClient, email: str) -> None:
    response = await client.post("/api/auth/password-reset/", json={"email": email})
    assert response.status_code == 202, response.text
    assert response.content == b""


async def token_from_mail(inbox: Inbox, to: str) -> str:
    mail = await inbox.next()
    assert mail["To"] == to
    [(_, token)] = reset_links(mail)
    return token


async def confirm(client: httpx.AsyncClient, token: str, password: str = NEW_PASSWORD) -> httpx.Response:
    return await client.post(
        "/api/auth/password-reset/confirm/", json={"token": token, "password": password}
    )


async def login(client: httpx.AsyncClient, username: str, password: str) -> int:
    response = await client.post("/api/auth/login/", json={"username": username, "password": password})
    return response.status_code


async def test_a_reset_link_arrives_by_mail_and_sets_a_new_password(
    client: httpx.AsyncClient, inbox: Inbox, node: Node
) -> None:
    await make_user(client, "alice", email="alice@example.org")
    await ask_reset(client, "Alice@Example.org")

    mail = await inbox.next()
    assert mail["To"] == "Alice@Example.org"
    assert mail["From"] == "Courtside <accounts@courtside.test>"
    assert "30 minutes" in mail.get_content()
    [(link, token)] = reset_links(mail)
    assert link.startswith(f"{node.http_url}/password-reset/?token=")

    assert (await confirm(client, token)).status_code == 204
    assert await login(client, "alice", NEW_PASSWORD) == 200
    assert await login(client, "alice", DEFAULT_PASSWORD) == 401


async def test_only_a_hash_of_the_token_is_stored(
    client: httpx.AsyncClient, inbox: Inbox, database: Database
) -> None:
    await make_user(client, "alice", email="alice@example.org")
    await ask_reset(client, "alice@example.org")
    token = await token_from_mail(inbox, "alice@example.org")
    stored = await database.fetchval("SELECT token_hash FROM password_resets")
    assert token.encode() not in bytes(stored)
    assert len(stored) == 32  # a SHA-256


async def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    client: httpx.AsyncClient, inbox: Inbox
) -> None:
    await make_user(client, "alice", email="alice@example.org")
    await ask_reset(client, "nobody@example.org")
    await ask_reset(client, "alice@example.org")
    # Mail goes out in order: had the first request sent one, it would come first.
    assert (await inbox.next())["To"] == "alice@example.org"


async def test_a_link_works_once(client: httpx.AsyncClient, inbox: Inbox) -> None:
    await make_user(client, "alice", email="alice@example.org")
    await ask_reset(client, "alice@example.org")
    token = await token_from_mail(inbox, "alice@example.org")
    assert (await confirm(client, token)).status_code == 204

    again = await confirm(client, token, "yet-another-one-88")
    assert again.status_code == 400
    assert again.json()["code"] == "reset_token_invalid"
    assert await login(client, "alice", NEW_PASSWORD) == 200


async def test_using_one_link_retires_the_others(client: httpx.AsyncClient, inbox: Inbox) -> None:
    await make_user(client, "alice", email="alice@example.org")
    await ask_reset(client, "alice@example.org")
    await ask_reset(client, "alice@example.org")
    first = await token_from_mail(inbox, "alice@example.org")
    second = await token_from_mail(inbox, "alice@example.org")
    assert (await confirm(client, second)).status_code == 204
    assert (await confirm(client, first, "yet-another-one-88")).status_code == 400


async def test_a_link_older_than_thirty_minutes_is_refused(
    client: httpx.AsyncClient, inbox: Inbox, database: Database
) -> None:
    await make_user(client, "alice", email="alice@example.org")
    await ask_reset(client, "alice@example.org")
    token = await token_from_mail(inbox, "alice@example.org")
    lifetime = await database.fetchval("SELECT expires_at - created_at FROM password_resets")
    assert lifetime.total_seconds() == pytest.approx(30 * 60, abs=5)
    # Thirty-one minutes pass.
    await database.execute(
        "UPDATE password_resets SET created_at = created_at - interval '31 minutes',"
        " expires_at = expires_at - interval '31 minutes'"
    )
    expired = await confirm(client, token)
    assert expired.status_code == 400
    assert expired.json()["code"] == "reset_token_invalid"
    assert await login(client, "alice", DEFAULT_PASSWORD) == 200


@pytest.mark.parametrize("token", ["made-up", "", "x" * 5000])
async def test_a_forged_token_is_refused(client: httpx.AsyncClient, token: str) -> None:
    response = await confirm(client, token)
    assert response.status_code == 400
    assert response.json()["code"] == "reset_token_invalid"


async def test_a_token_holding_nul_is_refused_at_the_boundary(client: httpx.AsyncClient) -> None:
    response = await confirm(client, "\x00" * 5)
    assert response.status_code == 400
    assert "token" in response.json()["errors"]


async def test_the_new_password_follows_the_password_rules_and_the_link_stays_usable(
    client: httpx.AsyncClient, inbox: Inbox
) -> None:
    await make_user(client, "alice", email="alice@example.org")
    await ask_reset(client, "alice@example.org")
    token = await token_from_mail(inbox, "alice@example.org")
    for weak in ("short1", "no-digits-here", "xxaliCExx42"):
        refused = await confirm(client, token, weak)
        assert refused.status_code == 400
        assert list(refused.json()["errors"]) == ["password"]
    assert (await confirm(client, token)).status_code == 204


async def test_bad_bodies_name_their_fields(client: httpx.AsyncClient) -> None:
    not_an_address = await client.post("/api/auth/password-reset/", json={"email": "alice"})
    assert not_an_address.status_code == 400
    assert list(not_an_address.json()["errors"]) == ["email"]
    missing = await client.post("/api/auth/password-reset/", json={})
    assert missing.status_code == 400
    assert "email" in missing.json()["errors"]
    no_token = await client.post("/api/auth/password-reset/confirm/", json={"password": NEW_PASSWORD})
    assert no_token.status_code == 400
    assert "token" in no_token.json()["errors"]


async def test_a_reset_ends_every_session_and_closes_live_sockets(
    client: httpx.AsyncClient, inbox: Inbox, node: Node
) -> None:
    alice = await make_user(client, "alice", email="alice@example.org")
    laptop = (await client.post(
        "/api/auth/login/", json={"username": "alice", "password": DEFAULT_PASSWORD}
    )).json()
    async with user_socket(node, alice) as open_tab, sse(client, alice) as open_stream:
        await ask_reset(client, "alice@example.org")
        assert (await confirm(client, await token_from_mail(inbox, "alice@example.org"))).status_code == 204
        assert await close_code(open_tab) == 4401
        with pytest.raises(EOFError):
            await open_stream.next_frame()

    assert (await client.get("/api/users/me/", headers=alice.headers)).status_code == 401
    for refresh in (alice.refresh, laptop["refresh"]):
        assert (await client.post("/api/auth/refresh/", json={"refresh": refresh})).status_code == 401


async def test_resets_are_limited_per_address(client: httpx.AsyncClient, inbox: Inbox) -> None:
    await make_user(client, "alice", email="alice@example.org")
    await make_user(client, "bob", email="bob@example.org")
    for _ in range(3):
        await ask_reset(client, "alice@example.org")
    for _ in range(3):
        assert (await inbox.next())["To"] == "alice@example.org"
    await ask_reset(client, "ALICE@example.org")  # over the limit: answered alike, no mail
    await ask_reset(client, "bob@example.org")
    assert (await inbox.next())["To"] == "bob@example.org"


async def test_resets_are_limited_per_ip(client: httpx.AsyncClient) -> None:
    for n in range(10):
        await ask_reset(client, f"someone{n}@example.org")
    throttled = await client.post("/api/auth/password-reset/", json={"email": "more@example.org"})
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "throttled"
    assert int(throttled.headers["Retry-After"]) > 0


async def test_one_mail_names_each_account_of_a_shared_address(
    client: httpx.AsyncClient, inbox: Inbox
) -> None:
    await make_user(client, "alice", email="family@example.org")
    await make_user(client, "bob", email="family@example.org")
    await ask_reset(client, "family@example.org")
    mail = await inbox.next()
    assert "Account alice:" in mail.get_content() and "Account bob:" in mail.get_content()
    alice_token, bob_token = (token for _, token in reset_links(mail))
    assert (await confirm(client, bob_token)).status_code == 204
    assert await login(client, "bob", NEW_PASSWORD) == 200
    assert await login(client, "alice", DEFAULT_PASSWORD) == 200
    assert (await confirm(client, alice_token, "wonderland-5")).status_code == 204


async def test_two_confirmations_of_one_link_at_once_let_one_win(
    client: httpx.AsyncClient, inbox: Inbox
) -> None:
    await make_user(client, "alice", email="alice@example.org")
    await ask_reset(client, "alice@example.org")
    token = await token_from_mail(inbox, "alice@example.org")
    statuses = []

    async def attempt(password: str) -> None:
        statuses.append((await confirm(client, token, password)).status_code)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(attempt, "first-choice-11")
        nursery.start_soon(attempt, "second-choice-22")
    assert sorted(statuses) == [204, 400]
    winners = [await login(client, "alice", p) for p in ("first-choice-11", "second-choice-22")]
    assert sorted(winners) == [200, 401]
