"""One tournament (``tournament:<code>``): participants, countdown, bracket, rounds.

Its group chat (``tournament_chat``) follows the participants and hears its
announcements; a chat that fails never stops the tournament.

The database is the tournament's memory: every decision is written before it is
announced, and each incarnation starts by reading it back, so an actor that
crashed mid-round and was restarted by its supervisor carries on with the same
bracket. A match that ended while no incarnation listened left its own record,
which the new one reads; a match that left none and no longer runs counts as
aborted, and the better seed goes through.
"""

from __future__ import annotations

import contextlib

import logging
import math
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import trio

from courtside.persistence import Database
from courtside.persistence.tournaments import AliasTaken, BracketMatch, Participant, Tournaments
from courtside.protocol import ApiError, Conflict, Forbidden, NotFound, ServiceUnavailable

from .bracket import first_round, next_slot, round_name, rounds_for
from . import tournament_chat
from .bus import Bus
from .chat_rooms import ChatRooms
from .engagements import Busy, Engagements, already_engaged
from .handle import Inbox, MailboxFull, ActorGone, Overflow
from .match_messages import MatchRecord, MatchSpec
from .matchmaker import new_match_code
from .tournament_chat import TournamentChat
from .tournament_messages import (
    BanFromTournament,
    Instance,
    InviteToTournament,
    JoinTournament,
    LeaveTournament,
    LookAtTournament,
    SayInTournament,
    ShowTournament,
    TournamentMatchEnded,
    TournamentTiming,
)

log = logging.getLogger(__name__)

TOURNAMENT = "tournament:"
INBOX_CAPACITY = 64


def not_in_tournament() -> Forbidden:
    return Forbidden("You are not in this tournament.", code="not_in_tournament")


def busy() -> ServiceUnavailable:
    return ServiceUnavailable("The tournament is busy; try again.", code="tournament_unavailable")


async def report_result(bus: Bus, name: str, record: MatchRecord) -> None:
    """Tell the tournament ``name`` how its match ended, on whichever node it runs now."""
    outcome = record.outcome
    message = TournamentMatchEnded(record.spec.code, outcome.winning_team,
                                   outcome.score_a, outcome.score_b, outcome.reason)
    try:
        handle = await bus.find(name)
        if handle is None:
            raise ActorGone(name)
        handle.send_nowait(message)
    except (ActorGone, MailboxFull) as why:
        # The restarted incarnation reads the match's record instead.
        log.warning("%s missed match %s: %r", name, record.spec.code, why)


class Tournament:
    def __init__(
        self,
        code: str,
        *,
        database: Database,
        engagements: Engagements,
        bus: Bus,
        chat_rooms: ChatRooms,
        start_match: Callable[..., Awaitable[None]],
        ws_url: Callable[[str], str],
        avatar_urls: Callable[[str | None], dict[str, str]],
        timing: TournamentTiming,
    ) -> None:
        self.code = code
        self._name = TOURNAMENT + code
        self._db = database
        self._engagements = engagements
        self._bus = bus
        self._chat_rooms = chat_rooms
        self._chat: TournamentChat  # from the row, once read
        self._start_match = start_match
        self._ws_url = ws_url
        self._ws_urls: dict[str, str] = {}  # of the matches this incarnation started
        self._avatar_urls = avatar_urls
        self._timing = timing
        self._repo = Tournaments(database)
        self._row: Any = None
        self._people: list[Participant] = []
        self._bracket: list[BracketMatch] = []
        self._start_at: datetime | None = None
        self._wake_at = math.inf
        self._closed = False

    # -- life ----------------------------------------------------------------------------

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        with Inbox(INBOX_CAPACITY, Overflow.REJECT, name=self._name) as inbox:
            # Registered before reading: a result reported meanwhile waits in the inbox.
            task_status.started(inbox.handle)
            await self._reload()
            if self._row is None or self._row.status not in ("open", "running"):
                return
            for person in self._people:
                if person.still_in:
                    with contextlib.suppress(Busy):  # playing this tournament's match, say
                        await self._engagements.claim([person.user_id], self._name)
            self._chat = TournamentChat(self.code, self._row.chat_id, self._chat_rooms)
            async with trio.open_nursery() as nursery:
                nursery.start_soon(self._chat.run)
                try:
                    await self._serve(inbox)
                finally:
                    self._chat.close()  # its writer posts what is queued, then ends

    async def _serve(self, inbox: Inbox[Any]) -> None:
        if self._row.status == "running":
            self._announce_so_far()
            await self._resume()
        while not self._closed:
            with trio.move_on_at(self._wake_at):
                await self._handle(await inbox.receive())
                continue
            self._wake_at = math.inf
            await self._on_time()

    async def _reload(self) -> None:
        self._row = await self._repo.get(self.code)
        if self._row is not None:
            self._people = await self._repo.participants(self._row.id)
            self._bracket = await self._repo.bracket(self._row.id)

    async def _on_time(self) -> None:
        if self._row.status == "open" and self._start_at is not None:
            await self._start()
        elif self._row.status == "running":
            await self._play_round()

    async def _handle(self, message: object) -> None:
        match message:
            case JoinTournament(person, alias, blocked_by, reply):
                await self._answer(reply, self._join(person, alias, blocked_by))
            case LeaveTournament(user_id, reply):
                await self._answer(reply, self._leave(user_id, banned=False))
            case BanFromTournament(by_id, user_id, reply):
                await self._answer(reply, self._ban(by_id, user_id))
            case InviteToTournament(by_id, user_id, reply):
                await self._answer(reply, self._invite(by_id, user_id))
            case SayInTournament(user_id, content, reply):
                await self._answer(reply, self._say(user_id, content))
            case ShowTournament(user_id, reply):
                if self._participant(user_id) is None:
                    reply.fail(NotFound("You are not in this tournament."))
                else:
                    reply.send(self.instance())
            case LookAtTournament(viewer_id, reply):
                if can_see(self._row, self._people, viewer_id):
                    reply.send(self.instance())
                else:
                    reply.fail(NotFound("No tournament has this code."))
            case TournamentMatchEnded() as ended:
                await self._match_ended(ended)

    async def _answer(self, reply: Any, work: Awaitable[Any]) -> None:
        try:
            result = await work
        except ApiError as refused:
            reply.fail(refused)
            return
        except Exception:
            # The database failed this one request (its writes are one transaction,
            # rolled back): the caller may try again, and the tournament goes on.
            log.exception("tournament %s could not answer a request", self.code)
            reply.fail(busy())
            return
        reply.send(result)

    # -- before the start ------------------------------------------------------------------

    async def _join(self, person: Any, alias: str, blocked_by: frozenset[int]) -> Instance:
        if self._participant(person.id) is not None:
            raise Conflict("You are already in this tournament.", code="already_in_tournament")
        if self._row.created_by in blocked_by:
            raise NotFound("No tournament has this code.")
        if self._row.status != "open":
            raise Conflict("This tournament has started.", code="tournament_started")
        if person.id in await self._repo.banned(self._row.id):
            raise Forbidden("You are banned from this tournament.", code="tournament_banned")
        if len(self._people) >= self._row.size:
            raise Conflict("This tournament is full.", code="tournament_full")
        try:
            await self._engagements.claim([person.id], self._name)
        except Busy as busy:
            raise already_engaged(busy.engagement) from None
        try:
            joined = await self._repo.join(self._row.id, person.id, alias or person.nickname)
        except AliasTaken:
            await self._engagements.release(person.id, self._name)
            raise Conflict("Another participant goes by this alias.", code="alias_taken") from None
        except BaseException:
            await self._engagements.release(person.id, self._name)
            raise
        await self._reload()
        await self._chat.enrol([person.id])
        self._bus.publish(self._others(person.id), "tournament-join", self._show(joined),
                          {"username": person.username})
        await self._start_when_full()
        return self._show(joined)

    async def _start_when_full(self) -> None:
        count, size = len(self._people), self._row.size
        if count >= size:
            await self._start()
        elif self._start_at is None and count >= math.ceil(self._timing.start_ratio * size):
            self._start_at = _now() + timedelta(seconds=self._timing.countdown)
            self._wake_at = trio.current_time() + self._timing.countdown
            self._bus.publish(self._ids(), "tournament-start-at",
                              {"id": self._row.id, "start_at": self._start_at})

    async def _leave(self, user_id: int, *, banned: bool) -> None:
        person = self._participant(user_id)
        if person is None:
            raise not_in_tournament()
        if self._row.status != "open":
            raise Conflict("The tournament has started; forfeit your match instead.",
                           code="tournament_started")
        async with self._db.transaction() as tx:
            repo = Tournaments(tx)
            await repo.leave(self._row.id, user_id, banned=banned)
            rest = [p for p in self._people if p.user_id != user_id]
            if not rest:
                await repo.cancel(self._row.id)
            elif user_id == self._row.created_by:
                await repo.hand_over(self._row.id, rest[0].user_id)
        await self._engagements.release(user_id, self._name)
        await self._reload()
        await self._chat.unenrol(user_id)
        if banned:
            self._bus.publish_to_user(user_id, "tournament-banned", {"id": self._row.id, "code": self.code})
        self._bus.publish(self._ids(), "tournament-leave", {"id": user_id},
                          {"username": person.username})
        if self._start_at is not None:
            self._start_at, self._wake_at = None, math.inf
            self._bus.publish(self._ids(), "tournament-start-cancel",
                              {"id": self._row.id, "start_at": None})
        if not self._people:
            self._closed = True

    async def _ban(self, by_id: int, user_id: int) -> None:
        self._require_creator(by_id)
        if user_id == by_id:
            raise Forbidden("You cannot ban yourself; leave the tournament instead.", code="ban_self")
        if self._participant(user_id) is None:
            raise NotFound("This user is not in the tournament.")
        await self._leave(user_id, banned=True)

    async def _invite(self, by_id: int, user_id: int) -> None:
        inviter = self._require_creator(by_id)
        if self._participant(user_id) is not None:
            raise Conflict("This user is already in the tournament.", code="already_in_tournament")
        self._bus.publish_to_user(user_id, "invite-tournament", {"id": self._row.id, "code": self.code},
                                  {"username": inviter.username, "code": self.code})

    async def _say(self, user_id: int, content: str) -> Instance:
        person = self._participant(user_id)
        if person is None:
            raise not_in_tournament()
        said = {"id": user_id, "alias": person.alias, "content": content, "created_at": _now()}
        self._bus.publish(self._others(user_id), "tournament-message", said,
                          {"username": person.username})
        return said

    def _require_creator(self, user_id: int) -> Participant:
        person = self._participant(user_id)
        if person is None:
            raise not_in_tournament()
        if user_id != self._row.created_by:
            raise Forbidden("Only the tournament creator may do this.", code="not_tournament_creator")
        return person

    # -- the bracket -------------------------------------------------------------------------

    async def _start(self) -> None:
        self._start_at = None
        ranked = sorted(self._people, key=lambda p: (-p.trophies, p.joined_at, p.user_id))
        seeded = [p.user_id for p in ranked]
        async with self._db.transaction() as tx:
            await Tournaments(tx).start(self._row.id, {u: i + 1 for i, u in enumerate(seeded)},
                                        first_round(seeded), rounds_for(len(seeded)))
        await self._reload()
        # Anyone a join could not add (the chat was slow) is added now, before the news.
        await self._chat.enrol(self._ids())
        self._chat.announce(tournament_chat.started(self.code, self._row.name, self._people))
        self._bus.publish(self._ids(), "tournament-start", self.instance())
        self._wake_at = trio.current_time() + self._timing.bracket_view

    async def _resume(self) -> None:
        for match in self._current_round():
            if match.winner_id is not None or match.match_code is None:
                continue
            result = await self._repo.recorded_result(match.match_code)
            if result is not None:
                await self._match_ended(TournamentMatchEnded(
                    match.match_code, result.winning_team, result.score_a, result.score_b,
                    result.reason))
            elif await self._bus.find(f"match:{match.match_code}") is None:
                await self._match_ended(TournamentMatchEnded(match.match_code, None, 0, 0, "aborted"))
        if self._row.status == "running":
            await self._play_round()

    def _announce_so_far(self) -> None:
        """Everything the bracket says was announced, again: a predecessor that died
        may have lost some, and what it did post is stored once (by client_id)."""
        self._chat.announce(tournament_chat.started(self.code, self._row.name, self._people))
        for round_number in sorted({m.round for m in self._bracket}):
            matches = [m for m in self._bracket if m.round == round_number]
            if not any(m.match_code for m in matches):
                break
            self._chat.announce(tournament_chat.round_started(
                self.code, round_number, self._bracket, self._people))
            for match in matches:
                if match.winner_id is not None and match.match_code is not None:
                    self._chat.announce(tournament_chat.match_result(
                        self.code, match, self._people))

    def _current_round(self) -> list[BracketMatch]:
        open_rounds = [m.round for m in self._bracket if m.winner_id is None]
        if not open_rounds:
            return []
        return [m for m in self._bracket if m.round == min(open_rounds)]

    async def _play_round(self) -> None:
        """Start every match of the current round that has both players and no code yet."""
        started: list[str] = []
        for match in self._current_round():
            if match.player_a is None or match.player_b is None or match.match_code is not None:
                continue
            spec = MatchSpec(
                code=new_match_code(), mode="tournament",
                team_a=(match.player_a,), team_b=(match.player_b,),
                seed=secrets.randbits(63), tournament=True, time_cap=self._timing.round_cap,
            )
            await self._repo.match_started(match.id, spec.code)
            match_name = f"match:{spec.code}"
            for user_id in spec.players:
                await self._engagements.release(user_id, self._name)
                try:
                    await self._engagements.claim([user_id], match_name)
                except Busy:
                    log.warning("tournament %s: user %d is busy elsewhere", self.code, user_id)
            ws_url = self._ws_urls[spec.code] = await self._start_match(spec, report_to=self._name)
            started.append(spec.code)
            for user_id, opponent in ((match.player_a, match.player_b), (match.player_b, match.player_a)):
                self._bus.publish_to_user(user_id, "game-start", {
                    "code": spec.code, "game_mode": "tournament", "opponent_id": opponent,
                    "team_a": list(spec.team_a), "team_b": list(spec.team_b), "ws_url": ws_url,
                    "tournament": self._row.id,
                })
        if started:
            await self._reload()
            self._chat.announce(tournament_chat.round_started(
                self.code, self._current_round()[0].round, self._bracket, self._people))
            self._offer_spectating()

    def _offer_spectating(self) -> None:
        # A restarted tournament no longer knows where its matches play: the ws_url it
        # guesses names this node, whose game port redirects to the right one.
        live = {m.match_code: self._ws_urls.get(m.match_code) or self._ws_url(m.match_code)
                for m in self._current_round() if m.match_code is not None and m.winner_id is None}
        out = [p.user_id for p in self._people if not p.still_in]
        if live and out:
            self._bus.publish(out, "tournament-available-spectate-matches", live)

    async def _match_ended(self, ended: TournamentMatchEnded) -> None:
        match = next((m for m in self._bracket if m.match_code == ended.code), None)
        if match is None or match.winner_id is not None:
            return  # heard twice: from the hook and from the record on resume
        assert match.player_a is not None and match.player_b is not None
        # No winner (aborted, nobody showed up): the better seed, team a, goes through.
        a_won = ended.winning_team in ("a", None)
        winner, loser = (match.player_a, match.player_b) if a_won else (match.player_b, match.player_a)
        rounds = max(m.round for m in self._bracket)
        async with self._db.transaction() as tx:
            repo = Tournaments(tx)
            await repo.match_finished(self._row.id, match, winner_id=winner, loser_id=loser,
                                      score_a=ended.score_a, score_b=ended.score_b,
                                      reason=ended.reason)
            if match.round == rounds:
                await repo.finish(self._row.id, winner)
            else:
                position, side = next_slot(match.position)
                target = next(m for m in self._bracket
                              if m.round == match.round + 1 and m.position == position)
                await repo.seat(target.id, side, winner)
        if match.round != rounds:
            # The match freed its players as it ended, before this actor heard of it:
            # the winner goes back to the tournament, unless something else has them.
            await self._engagements.release(winner, f"match:{ended.code}")
            with contextlib.suppress(Busy):
                await self._engagements.claim([winner], self._name)
        await self._reload()
        self._chat.announce(tournament_chat.match_result(
            self.code, next(m for m in self._bracket if m.id == match.id), self._people))
        by_id = {p.user_id: p for p in self._people}
        winner_score, loser_score = ((ended.score_a, ended.score_b) if a_won
                                     else (ended.score_b, ended.score_a))
        self._bus.publish(self._ids(), "tournament-match-finish", self.instance(), {
            "winner": by_id[winner].username, "looser": by_id[loser].username,
            "score_winner": winner_score, "score_looser": loser_score,
            "finish_reason": ended.reason,
        })
        if self._row.status == "finished":
            self._chat.announce(tournament_chat.winner(self.code, self._row.name, winner,
                                                       self._people))
            self._bus.publish(self._ids(), "tournament-finish", {}, {
                "id": self._row.id, "name": self._row.name, "username": by_id[winner].username,
            })
            await self._engagements.release_all(self._name)
            self._closed = True
            return
        self._offer_spectating()
        if all(m.winner_id is not None for m in self._bracket if m.round == match.round):
            await self._play_round()

    # -- what participants see -----------------------------------------------------------------

    def _participant(self, user_id: int) -> Participant | None:
        return next((p for p in self._people if p.user_id == user_id), None)

    def _ids(self) -> list[int]:
        return [p.user_id for p in self._people]

    def _others(self, user_id: int) -> list[int]:
        return [p.user_id for p in self._people if p.user_id != user_id]

    def _show(self, person: Participant) -> Instance:
        return participant_instance(self._row, person, self._avatar_urls)

    def instance(self) -> Instance:
        return tournament_instance(self._row, self._people, self._bracket, self._avatar_urls,
                                   start_at=self._start_at, show=self._show)


def can_see(row: Any, people: list[Participant], viewer_id: int) -> bool:
    """Participants see their tournament; anyone sees a public one."""
    return not row.private or any(p.user_id == viewer_id for p in people)


def participant_instance(
    row: Any, person: Participant, avatar_urls: Callable[[str | None], dict[str, str]]
) -> Instance:
    """The reference's TournamentParticipantInstance."""
    return {
        "id": person.user_id,
        "username": person.username,
        "nickname": person.nickname,
        "is_guest": person.is_guest,
        "profile_picture": avatar_urls(person.avatar),
        "alias": person.alias,
        "tournament": row.id,
        "stage": person.eliminated_in,
        "seed": person.seed,
        "still_in": person.still_in,
        "creator": person.user_id == row.created_by,
        "join_at": person.joined_at,
    }


def bracket_by_round(bracket: list[BracketMatch]) -> dict[str, list[dict[str, Any]]]:
    rounds = max((m.round for m in bracket), default=0)
    by_round: dict[str, list[dict[str, Any]]] = {}
    for m in bracket:
        by_round.setdefault(round_name(m.round, rounds), []).append({
            "id": m.id, "position": m.position, "code": m.match_code,
            "player_a": m.player_a, "player_b": m.player_b, "winner_id": m.winner_id,
            "score_a": m.score_a, "score_b": m.score_b, "finish_reason": m.reason,
            "started_at": m.started_at, "finished_at": m.finished_at,
        })
    return by_round


def tournament_instance(
    row: Any, people: list[Participant], bracket: list[BracketMatch],
    avatar_urls: Callable[[str | None], dict[str, str]], *, start_at: datetime | None = None,
    show: Callable[[Participant], Instance] | None = None,
) -> Instance:
    """The reference's TournamentInstance; ``matches`` once the bracket is drawn."""
    instance: Instance = {
        "id": row.id, "name": row.name, "code": row.code, "size": row.size,
        "private": row.private, "is_started": row.status != "open", "status": row.status,
        "start_at": start_at if row.status == "open" else row.started_at,
        "created_at": row.created_at, "created_by": row.created_by, "winner_id": row.winner_id,
        "chat_id": row.chat_id,
    }
    if show is not None:
        instance["participants"] = [show(p) for p in people]
    else:
        instance["participants"] = [
            {"id": p.user_id, "username": p.username, "alias": p.alias, "seed": p.seed,
             "still_in": p.still_in, "stage": p.eliminated_in} for p in people]
    if bracket:
        instance["matches"] = bracket_by_round(bracket)
    return instance


def _now() -> datetime:
    return datetime.now(UTC)
