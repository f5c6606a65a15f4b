"""Friend requests over HTTP: every answer of the reference, the limit, and races."""

from __future__ import annotations

import httpx
import trio

from courtside.http.social.rules import MAX_PENDING_SENT
from courtside.persistence import Database
from tests.accounts import make_guest, make_user

from .graph import FRIENDS, REQUESTS, ask, befriend, block, listed, profile
from .records import stored_user

TIMEOUT = 30


async def test_a_request_is_seen_by_both_sides_and_accepted_by_the_receiver(
    client: httpx.AsyncClient,
) -> None:
    alice, bob, carol = [await make_user(client, name) for name in ("alice", "bob", "carol")]
    sent = await ask(client, alice, "BOB")  # usernames are case-insensitive
    assert sent.status_code == 201, sent.text
    request = sent.json()
    assert set(request) == {"id", "sender", "receiver", "send_at"}
    assert (request["sender"]["id"], request["receiver"]["id"]) == (alice.id, bob.id)
    assert request["send_at"].endswith("Z")
    assert request["receiver"]["status"]["is_online"] is False

    assert [r["id"] for r in await listed(client, REQUESTS, alice)] == [request["id"]]
    assert await listed(client, f"{REQUESTS}received/", alice) == []
    assert [r["id"] for r in await listed(client, f"{REQUESTS}received/", bob)] == [request["id"]]
    assert await listed(client, REQUESTS, bob) == []
    assert (await profile(client, alice, bob.id)).json()["friend_request"] == "sent"
    assert (await profile(client, bob, alice.id)).json()["friend_request"] == "received"
    me = (await client.get("/api/users/me/", headers=bob.headers)).json()
    assert me["notifications"]["friend_requests"] == 1

    url = f"{REQUESTS}{request['id']}/"
    for party in (alice, bob):
        seen = await client.get(url, headers=party.headers)
        assert seen.status_code == 200 and seen.json()["id"] == request["id"]
    assert (await client.get(url, headers=carol.headers)).status_code == 404
    assert (await client.post(url, headers=carol.headers)).status_code == 404
    own = await client.post(url, headers=alice.headers)
    assert own.status_code == 403

    accepted = await client.post(url, headers=bob.headers)
    assert accepted.status_code == 201, accepted.text
    friendship = accepted.json()
    assert friendship["friend"]["id"] == alice.id
    assert (friendship["me_wins"], friendship["friend_wins"]) == (0, 0)
    assert (await client.post(url, headers=bob.headers)).status_code == 404
    assert (await client.get(url, headers=bob.headers)).status_code == 404

    assert [f["friend"]["id"] for f in await listed(client, FRIENDS, alice)] == [bob.id]
    assert [f["friend"]["id"] for f in await listed(client, FRIENDS, bob)] == [alice.id]
    seen_by_alice = (await profile(client, alice, bob.id)).json()
    assert (seen_by_alice["is_friend"], seen_by_alice["friend_request"]) == (True, None)
    me = (await client.get("/api/users/me/", headers=bob.headers)).json()
    assert me["notifications"]["friend_requests"] == 0


async def test_requests_the_reference_refuses(client: httpx.AsyncClient) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    shy, blocker = await make_user(client, "shy"), await make_user(client, "blocker")
    guest = await make_guest(client)
    await client.patch("/api/users/me/", json={"accept_friend_request": False}, headers=shy.headers)
    assert (await block(client, blocker, alice.id)).status_code == 201
    assert (await block(client, alice, bob.id)).status_code == 201

    def refused(response: httpx.Response, status: int, code: str | None = None) -> None:
        assert response.status_code == status, response.text
        if code is not None:
            assert response.json()["code"] == code

    missing = await client.post(REQUESTS, json={}, headers=alice.headers)
    refused(missing, 400, "invalid")
    assert missing.json()["errors"] == {"username": ["This field is required."]}
    refused(await ask(client, alice, "nobody"), 404, "not_found")
    refused(await ask(client, alice, guest.username), 404, "not_found")
    refused(await ask(client, alice, "blocker"), 404, "not_found")
    refused(await ask(client, guest, "alice"), 403, "guest_account")
    refused(await ask(client, alice, "alice"), 403, "friend_request_to_self")
    refused(await ask(client, alice, "bob"), 403, "user_blocked")
    refused(await ask(client, bob, "alice"), 404, "not_found")
    refused(await ask(client, alice, "shy"), 403, "friend_requests_refused")

    carol = await make_user(client, "carol")
    refused(await ask(client, alice, "carol"), 201)
    refused(await ask(client, alice, "carol"), 409, "friend_request_exists")
    dave = await make_user(client, "dave")
    await befriend(client, dave, carol)
    refused(await ask(client, carol, "dave"), 409, "already_friends")
    refused(await ask(client, dave, "carol"), 409, "already_friends")


async def test_pending_sent_requests_are_limited(
    client: httpx.AsyncClient, database: Database
) -> None:
    alice = await make_user(client, "alice")
    for n in range(MAX_PENDING_SENT):
        await stored_user(database, f"target_{n}")
        assert (await ask(client, alice, f"target_{n}")).status_code == 201
    await stored_user(database, "one_too_many")
    over = await ask(client, alice, "one_too_many")
    assert over.status_code == 403
    assert over.json()["code"] == "too_many_friend_requests"

    first_page = (await client.get(f"{REQUESTS}?limit=5", headers=alice.headers)).json()
    assert first_page["count"] == MAX_PENDING_SENT
    assert [r["receiver"]["username"] for r in first_page["results"]] == [
        f"target_{n}" for n in range(MAX_PENDING_SENT - 1, MAX_PENDING_SENT - 6, -1)
    ]
    assert first_page["next"].endswith("limit=5&offset=5")

    cancelled = await client.delete(f"{REQUESTS}{first_page['results'][0]['id']}/", headers=alice.headers)
    assert cancelled.status_code == 204
    assert (await ask(client, alice, "one_too_many")).status_code == 201


async def test_asking_someone_who_asked_you_accepts_their_request(client: httpx.AsyncClient) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    request_id = (await ask(client, alice, "bob")).json()["id"]
    back = await ask(client, bob, "alice")
    assert back.status_code == 201, back.text
    assert back.json()["friend"]["id"] == alice.id
    assert await listed(client, REQUESTS, alice) == []
    assert await listed(client, f"{REQUESTS}received/", bob) == []
    assert (await client.get(f"{REQUESTS}{request_id}/", headers=alice.headers)).status_code == 404
    assert [f["id"] for f in await listed(client, FRIENDS, alice)] == [back.json()["id"]]


async def test_people_asking_each_other_at_once_become_friends_once(
    client: httpx.AsyncClient,
) -> None:
    pairs = [(await make_user(client, f"left_{n}"), await make_user(client, f"right_{n}"))
             for n in range(5)]
    answers: list[httpx.Response] = []

    async def ask_and_keep(sender, username) -> None:
        answers.append(await ask(client, sender, username))

    with trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            for left, right in pairs:
                nursery.start_soon(ask_and_keep, left, right.username)
                nursery.start_soon(ask_and_keep, right, left.username)

    assert sorted(answer.status_code for answer in answers) == [201] * 10
    for left, right in pairs:
        friends = await listed(client, FRIENDS, left)
        assert [f["friend"]["id"] for f in friends] == [right.id]
        assert await listed(client, REQUESTS, left) == await listed(client, REQUESTS, right) == []


async def test_a_request_accepted_twice_at_once_makes_one_friendship(
    client: httpx.AsyncClient,
) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    url = f"{REQUESTS}{(await ask(client, alice, 'bob')).json()['id']}/"
    answers: list[int] = []

    async def accept() -> None:
        answers.append((await client.post(url, headers=bob.headers)).status_code)

    with trio.fail_after(TIMEOUT):
        async with trio.open_nursery() as nursery:
            for _ in range(4):
                nursery.start_soon(accept)

    assert sorted(answers) == [201, 404, 404, 404]
    assert len(await listed(client, FRIENDS, bob)) == 1


async def test_the_receiver_rejects_and_the_sender_cancels(client: httpx.AsyncClient) -> None:
    alice, bob, carol = [await make_user(client, name) for name in ("alice", "bob", "carol")]
    to_bob = f"{REQUESTS}{(await ask(client, alice, 'bob')).json()['id']}/"
    to_carol = f"{REQUESTS}{(await ask(client, alice, 'carol')).json()['id']}/"

    assert (await client.delete(to_bob, headers=carol.headers)).status_code == 404
    assert (await client.delete(to_bob, headers=bob.headers)).status_code == 204
    assert (await client.delete(to_carol, headers=alice.headers)).status_code == 204
    assert (await client.delete(to_carol, headers=alice.headers)).status_code == 404
    assert await listed(client, REQUESTS, alice) == []
    assert await listed(client, f"{REQUESTS}received/", bob) == []
    assert await listed(client, FRIENDS, alice) == []
    # Rejected is not refused for ever: alice may ask again.
    assert (await ask(client, alice, "bob")).status_code == 201
