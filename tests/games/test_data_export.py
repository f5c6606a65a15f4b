"""The data export holds what a user did: their stats, matches, tournaments and chats.

It lives with the games' tests for their fast clock and ``forfeited_match``.
"""

from __future__ import annotations

import httpx
import trio
from trio.testing import MockClock

from courtside.persistence.tournaments import Tournaments
from courtside.server.node import Node
from tests.accounts import Account, make_user
from tests.chat.conversation import chat_url, open_dialogue, open_group, say

from .conftest import forfeited_match

TIMEOUT = 300.0


async def _played_tournament(node: Node, creator: Account, *others: Account) -> str:
    """A tournament of four seats whose bracket is drawn (a bye for three), arranged
    through its repository."""
    players = [creator, *others]
    async with node.database.transaction() as tx:
        tournaments = Tournaments(tx)
        row = await tournaments.create(code="EXPORT1", name="Export cup", size=4, private=False,
                                       creator_id=creator.id, alias="Ace")
        for seed, player in enumerate(others, start=2):
            await tournaments.join(row.id, player.id, f"Seed {seed}")
        ids = [player.id for player in players] + [None] * (4 - len(players))
        await tournaments.start(row.id, {user_id: seed for seed, user_id in enumerate(ids, 1)
                                         if user_id is not None},
                                [(ids[0], ids[1]), (ids[2], ids[3])], rounds=2)
    return row.code


async def _get(client: httpx.AsyncClient, account: Account, path: str) -> dict:
    response = await client.get(path, headers=account.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_download_data_holds_the_users_games_stats_and_chats(
    fast_clock: MockClock, client: httpx.AsyncClient, node: Node
) -> None:
    alice, bob = await make_user(client, "alice"), await make_user(client, "bob")
    carol = await make_user(client, "carol")
    with trio.fail_after(TIMEOUT):
        match_code = await forfeited_match(client, node, alice, bob, "ranked")
    tournament_code = await _played_tournament(node, alice, bob, carol)
    dialogue = await open_dialogue(client, alice, bob)
    await say(client, alice, dialogue, "gg")
    await say(client, bob, dialogue, "rematch?")
    deleted = await say(client, alice, dialogue, "oops")
    gone = await client.delete(chat_url(dialogue, f"messages/{deleted['id']}/"),
                               headers=alice.headers)
    assert gone.status_code == 204, gone.text
    group = await open_group(client, carol, "Pong night", [alice, bob])
    await say(client, carol, group, "who plays?")
    await say(client, alice, group, "me")
    unrelated = await open_dialogue(client, bob, carol)
    await say(client, bob, unrelated, "not alice's")

    export = await _get(client, alice, "/api/users/me/download-data/")

    stats = export["stats_data"]
    assert stats == await _get(client, alice, "/api/users/me/stats/")
    ranked = next(line for line in stats if line["game_mode"] == "ranked")
    assert (ranked["game_played"], ranked["wins"]) == (1, 1)
    trophies = await _get(client, alice, "/api/users/me/stats/ranked/")
    assert export["trophy_history_data"] == trophies["results"]
    assert [change["match_code"] for change in export["trophy_history_data"]] == [match_code]

    matches = await _get(client, alice, f"/api/users/{alice.id}/matches/")
    assert export["game_data"]["matches"] == matches["results"]
    assert [record["code"] for record in export["game_data"]["matches"]] == [match_code]
    tournaments = await _get(client, alice, f"/api/users/{alice.id}/tournaments/")
    assert export["game_data"]["tournament"] == tournaments["results"]
    assert [(t["code"], t["alias"]) for t in export["game_data"]["tournament"]] == [
        (tournament_code, "Ace"),
    ]

    chats = {chat["id"]: chat for chat in export["chat_data"]}
    assert set(chats) == {dialogue, group}
    assert chats[dialogue]["chat_with"]["id"] == bob.id
    assert chats[group]["name"] == "Pong night"
    assert all("last_message" not in chat for chat in chats.values())
    written = {chat_id: [(m["content"], m["is_deleted"]) for m in chat["messages"]]
               for chat_id, chat in chats.items()}
    assert written == {dialogue: [("gg", False), ("", True)], group: [("me", False)]}
    assert all(m["author"]["id"] == alice.id
               for chat in chats.values() for m in chat["messages"])
