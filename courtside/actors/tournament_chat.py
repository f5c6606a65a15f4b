"""A tournament's group chat: its members follow the participants, and the tournament
announces its start, each round with its pairings, each result and the winner there
as system messages, which members get as any message (DESIGN.md §8, §9).

The tournament never waits on its chat for long. A join or a leave waits at most
MEMBERSHIP_WAIT for the chat's room (the joiner then finds the chat in their list);
announcements go through a bounded queue to one writer task, which posts them in
order. A chat write that fails is logged and the tournament goes on: its results
live in its own tables. Each announcement's client_id names it
(``tournament:<code>:round:<n>``), so posting it again, as a restarted tournament
does for whatever its predecessor may have lost, stores and sends nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import msgspec
import trio

from courtside.persistence.tournaments import BracketMatch, Participant

from .bracket import round_name
from .chat_rooms import ChatRooms

log = logging.getLogger(__name__)

# Announcements waiting for the writer; a tournament makes a few per round, so a
# full queue means the chat has been failing for a while: the newest is dropped.
ANNOUNCEMENT_BACKLOG = 64
MEMBERSHIP_WAIT = 1.0


class Announcement(msgspec.Struct, frozen=True):
    client_id: str
    content: str
    payload: dict[str, Any]


class TournamentChat:
    """The chat side of one tournament incarnation; ``chat_id`` None: it has no chat."""

    def __init__(self, code: str, chat_id: int | None, chat_rooms: ChatRooms) -> None:
        self._code = code
        self._chat_id = chat_id
        self._chat_rooms = chat_rooms
        self._send, self._receive = trio.open_memory_channel[Announcement](ANNOUNCEMENT_BACKLOG)

    async def run(self) -> None:
        """Post what is announced, in order, until ``close``; what was queued by then is
        still posted."""
        async with self._receive:
            async for announcement in self._receive:
                await self._post(announcement)

    def close(self) -> None:
        self._send.close()

    def announce(self, announcement: Announcement) -> None:
        if self._chat_id is None:
            return
        try:
            self._send.send_nowait(announcement)
        except trio.WouldBlock:
            log.warning("tournament %s: announcement %s dropped, the chat is behind",
                        self._code, announcement.client_id)

    async def enrol(self, user_ids: Iterable[int]) -> None:
        """Make them members (again: idempotent), waiting MEMBERSHIP_WAIT at most."""
        if self._chat_id is None:
            return
        with trio.move_on_after(MEMBERSHIP_WAIT) as waited:
            for user_id in user_ids:
                try:
                    await self._chat_rooms.enrol(self._chat_id, user_id)
                except Exception:
                    log.warning("tournament %s: user %d not added to chat %d", self._code,
                                user_id, self._chat_id, exc_info=True)
        if waited.cancelled_caught:
            log.warning("tournament %s: chat %d slow to add members", self._code, self._chat_id)

    async def unenrol(self, user_id: int) -> None:
        if self._chat_id is None:
            return
        with trio.move_on_after(MEMBERSHIP_WAIT) as waited:
            try:
                await self._chat_rooms.unenrol(self._chat_id, user_id)
            except Exception:
                log.warning("tournament %s: user %d not removed from chat %d", self._code,
                            user_id, self._chat_id, exc_info=True)
        if waited.cancelled_caught:
            log.warning("tournament %s: chat %d slow to remove user %d", self._code,
                        self._chat_id, user_id)

    async def _post(self, announcement: Announcement) -> None:
        assert self._chat_id is not None
        try:
            await self._chat_rooms.announce(self._chat_id, announcement.client_id,
                                            announcement.content, announcement.payload)
        except Exception:
            log.warning("tournament %s: announcement %s not posted", self._code,
                        announcement.client_id, exc_info=True)


# What is announced: plain functions of the tournament's rows, so an announcement
# rebuilt after a restart is the one first made.

def started(code: str, name: str, people: list[Participant]) -> Announcement:
    return Announcement(
        f"tournament:{code}:start",
        f"{name} has started with {len(people)} players.",
        {"event": "tournament_start", "code": code, "participants": len(people)},
    )


def round_started(code: str, round_number: int, bracket: list[BracketMatch],
                  people: list[Participant]) -> Announcement:
    alias = _aliases(people)
    rounds = max(m.round for m in bracket)
    title = round_name(round_number, rounds)
    matches = [m for m in bracket if m.round == round_number]
    pairings = [m for m in matches if m.player_a is not None and m.player_b is not None]
    byes = [m.player_a or m.player_b for m in matches if m.reason == "bye"]
    said = ", ".join(f"{alias[m.player_a]} vs {alias[m.player_b]}" for m in pairings)
    if byes:
        said += "; a bye for " + ", ".join(alias[user_id] for user_id in byes if user_id)
    return Announcement(
        f"tournament:{code}:round:{round_number}",
        f"The {title} begins: {said}.",
        {"event": "round_start", "code": code, "round": round_number, "name": title,
         "pairings": [{"match_code": m.match_code,
                       "player_a": {"id": m.player_a, "alias": alias[m.player_a]},
                       "player_b": {"id": m.player_b, "alias": alias[m.player_b]}}
                      for m in pairings]},
    )


def match_result(code: str, match: BracketMatch, people: list[Participant]) -> Announcement:
    """A finished match's result (never a bye's)."""
    alias = _aliases(people)
    assert match.winner_id is not None and match.player_a is not None and match.player_b is not None
    a_won = match.winner_id == match.player_a
    loser = match.player_b if a_won else match.player_a
    score_a, score_b = match.score_a or 0, match.score_b or 0
    won, lost = (score_a, score_b) if a_won else (score_b, score_a)
    return Announcement(
        f"tournament:{code}:match:{match.id}",
        f"{alias[match.winner_id]} beat {alias[loser]} {won}-{lost} ({match.reason}).",
        {"event": "match_result", "code": code, "round": match.round,
         "match_code": match.match_code,
         "winner": {"id": match.winner_id, "alias": alias[match.winner_id]},
         "loser": {"id": loser, "alias": alias[loser]},
         "score_winner": won, "score_loser": lost, "finish_reason": match.reason},
    )


def winner(code: str, name: str, winner_id: int, people: list[Participant]) -> Announcement:
    alias = _aliases(people)[winner_id]
    return Announcement(
        f"tournament:{code}:winner",
        f"{alias} wins {name}!",
        {"event": "tournament_winner", "code": code, "winner": {"id": winner_id, "alias": alias}},
    )


def _aliases(people: list[Participant]) -> dict[Any, str]:
    return {p.user_id: p.alias for p in people}
