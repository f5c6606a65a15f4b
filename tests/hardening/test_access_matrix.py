"""Every route that takes an object id, walked as a stranger and as a guest.

The routes come from ``/openapi.json``, so a route added later is walked too: its
id parameters must be known here (the test names any it cannot fill), and it
must answer 403 or 404 unless it is listed below as readable by design. Alice's
data is compared before and after: nothing a stranger sent changed it.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import trio

from courtside.server.node import Node
from tests.accounts import Account, make_guest, make_user
from tests.chat.conversation import open_group, post
from tests.social.graph import befriend, block

PARAMETER = re.compile(r"\{([^}]+)\}")
# Readable or usable by anyone signed in, by design (DESIGN.md §5, §8).
OPEN_BY_DESIGN = {
    ("POST", "/api/play/lobby/{code}/"): "a lobby is joined by its code",
    ("POST", "/api/play/tournament/{code}/"): "a public tournament is joined by its code",
    ("GET", "/api/play/tournament/{code}/"): "a public tournament is shown to anyone",
    ("GET", "/api/game/matches/{code}/"): "match records are public",
    ("GET", "/api/game/matches/{code}/replay/"): "replays are public",
    ("GET", "/api/game/tournaments/{tournament_id}/"): "tournament records are public",
    ("GET", "/media/avatars/{file_name}"): "avatars are public files",
}
# Public profiles: open to a guest, hidden (404) from someone the user blocked.
PROFILES = "/api/users/{user_id}/"
# Names that are nobody's object: a queue (/api/play/{mode}/), a sign-in provider
# (/api/auth/oauth/{name}/), a file of the web client (/sdk/{filename}).
NOT_OBJECT_IDS = {"mode", "name", "filename"}
# A body every route that takes one would accept from its owner: a refusal must come
# from whose object it is, not from a malformed body.
BODY = {"content": "hello from a stranger", "is_ready": True}


async def _owned_objects(client: httpx.AsyncClient, bob: Account) -> tuple[Account, dict[str, Any]]:
    """Alice's (and her friends') objects, each with the id a stranger would guess."""
    alice, carol, dave, erin = [await make_user(client, name)
                                for name in ("alice", "carol", "dave", "erin")]
    friendship = await befriend(client, alice, carol)
    request = await client.post("/api/users/me/friend_requests/", json={"username": "dave"},
                                headers=alice.headers)
    blocked = await block(client, alice, bob.id)
    chat_id = await open_group(client, alice, "secret", [carol])
    message = await post(client, alice, chat_id, "for carol only")
    invite = await client.post("/api/play/invites/", json={"user_id": carol.id, "match_type": "1v1"},
                               headers=alice.headers)
    lobby = await client.post("/api/play/lobby/", json={"game_mode": "custom_game"},
                              headers=dave.headers)
    tournament = await client.post("/api/play/tournament/", json={"name": "Cup", "size": 4},
                                   headers=erin.headers)
    for response in (request, blocked, message, invite, lobby, tournament):
        assert response.status_code == 201, response.text
    with trio.fail_after(10):  # the inbox keeps carol's acceptance once its store writes it
        while not (kept := (await client.get("/api/notifications/", headers=alice.headers)
                            ).json()["results"]):
            await trio.sleep(0.1)
    return alice, {
        "notification_id": kept[0]["id"],
        "friendship_id": friendship,
        "request_id": request.json()["id"],
        "block_id": blocked.json()["id"],
        "chat_id": chat_id,
        "message_id": message.json()["id"],
        "invite_id": invite.json()["id"],
        "user_id": carol.id,
        "lobby_code": lobby.json()["code"],
        "tournament_code": tournament.json()["code"],
        "match_code": "nomatch",
        "tournament_id": 1,
        "file_name": "default.webp",
        "owners": (alice, dave, erin),
        "alice_id": alice.id,
    }


def _filled(path: str, objects: dict[str, Any]) -> str:
    def value(found: re.Match[str]) -> str:
        name = found.group(1)
        if name == "code":
            kind = ("lobby" if "/lobby/" in path else "tournament" if "/tournament/" in path
                    else "match")
            return str(objects[f"{kind}_code"])
        if name == "user_id" and path.startswith(PROFILES.removesuffix("/")):
            return str(objects["alice_id"])  # alice blocked bob
        assert name in objects, f"{path}: no owned object for {{{name}}}; add one to this test"
        return str(objects[name])

    return PARAMETER.sub(value, path)


async def _snapshot(client: httpx.AsyncClient, owners: tuple[Account, ...], chat_id: int) -> list[Any]:
    views = []
    for owner in owners:
        for path in ("/api/users/me/friends/", "/api/users/me/friend_requests/",
                     "/api/users/me/blocked/", "/api/play/lobby/", "/api/play/tournament/"):
            response = await client.get(path, headers=owner.headers)
            views.append((owner.username, path, response.status_code, _stable(response.json())))
    messages = await client.get(f"/api/chat/{chat_id}/messages/", headers=owners[0].headers)
    views.append(("alice", "messages", messages.status_code, _stable(messages.json())))
    return views


def _stable(body: Any) -> Any:
    """The body without what changes on its own (presence, clocks)."""
    if isinstance(body, dict):
        return {k: _stable(v) for k, v in body.items()
                if k not in ("is_online", "last_online", "seconds_left", "minutes_left")}
    if isinstance(body, list):
        return [_stable(v) for v in body]
    return body


async def test_strangers_and_guests_get_403_or_404_on_others_objects(
    client: httpx.AsyncClient, node: Node
) -> None:
    bob = await make_user(client, "bob")
    guest = await make_guest(client)
    alice, objects = await _owned_objects(client, bob)
    before = await _snapshot(client, objects["owners"], objects["chat_id"])
    spec = (await client.get("/openapi.json")).json()
    walked = 0
    for path, operations in sorted(spec["paths"].items()):
        names = set(PARAMETER.findall(path)) - NOT_OBJECT_IDS
        if not names:
            continue
        for method in sorted(operations):
            method = method.upper()
            if (method, path) in OPEN_BY_DESIGN:
                continue
            url = _filled(path, objects)
            callers = [bob] if path.startswith(PROFILES) else [bob, guest]
            for caller in callers:
                response = await client.request(method, url, headers=caller.headers,
                                                json=BODY if method in ("POST", "PATCH") else None)
                assert response.status_code in (403, 404), (
                    f"{method} {url} as {caller.username}: {response.status_code} {response.text}")
                assert "code" in response.json()
                walked += 1
    assert walked >= 40
    assert await _snapshot(client, objects["owners"], objects["chat_id"]) == before
