"""One match, owned by one actor from creation to its record (DESIGN.md §7).

The actor's task runs the phases that wait on people: players joining and
reporting ready (ready timeout), the countdown, a pause while a player is away
(grace window), and the end: players are told at once, then one transaction
writes the record (tried again if it fails). While the match plays, the tick
shard calls ``tick()``: it drains the players' sockets, steps the pure physics,
logs the inputs for the replay and encodes the state once per wire format; then
``flush()``, once every match has stepped, writes it to every seat. Neither
awaits; what a tick learns that needs waiting (a disconnect, the final whistle)
goes to the inbox.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import msgspec
import trio

from courtside.protocol import CloseCode
from courtside.protocol.game_messages import (
    EndReason,
    Frames,
    GameEnded,
    GameStarts,
    GameStateUpdate,
    MatchConfig,
    OpponentDisconnected,
    OpponentReconnected,
    PaddlePositionUpdate,
    Ping,
    Pong,
    ReportLeft,
    ServerMessage,
    Welcome,
)
from courtside.protocol.game_messages import Seat as SeatInfo

from . import physics
from .bus import Bus
from .engagements import Engagements
from .handle import Inbox, Overflow, Reply
from .input_log import InputLog
from .live_matches import LiveMatch, LiveMatches, Phase
from .match_messages import (
    Gone,
    Join,
    JoinRefused,
    Leave,
    MatchRecord,
    MatchSpec,
    MatchTiming,
    Outcome,
    PeerConnection,
    Ready,
    Team,
)
from .bracket import time_up_winner
from .match_view import reference_state
from .retrying import retrying
from .tick_shard import TickShard

log = logging.getLogger(__name__)


class _Finished(msgspec.Struct, frozen=True):
    outcome: Outcome


class _Paused(msgspec.Struct, frozen=True):
    """tick() found a player gone: wakes the actor to run the grace window."""


class _TickCrashed(msgspec.Struct, frozen=True):
    error: Exception


@dataclass(slots=True)
class _Seat:
    user_id: int
    team: Team
    slot: int  # paddle index in the physics state
    connection: PeerConnection | None = None
    ready: bool = False
    taken: bool = False  # a connection of the player came, once


class Match:
    """Start with ``supervisor.start(lambda: Match(...), name=f"match:{code}")``."""

    def __init__(
        self,
        spec: MatchSpec,
        *,
        shard: TickShard,
        engagements: Engagements,
        live_matches: LiveMatches,
        bus: Bus,
        record: Callable[[MatchRecord], Awaitable[None]],
        timing: MatchTiming = MatchTiming(),
    ) -> None:
        self.spec = spec
        self._shard = shard
        self._engagements = engagements
        self._live_matches = live_matches
        self._bus = bus
        self._record = record
        self._timing = timing
        mode = "1v1" if len(spec.team_a) == 1 else "3v3"
        self._state = physics.new_match(seed=spec.seed, mode=mode, score_to_win=spec.score_to_win)
        self._seats = [
            _Seat(user_id, team, slot)
            for slot, (user_id, team) in enumerate(
                [(u, "a") for u in spec.team_a] + [(u, "b") for u in spec.team_b]
            )
        ]
        self._by_user = {seat.user_id: seat for seat in self._seats}
        self._seat_teams = [(seat.user_id, seat.team) for seat in self._seats]
        self._spectators: list[PeerConnection] = []
        self._inputs = InputLog(paddles=len(self._seats))
        self._broadcast_every = max(1, timing.tick_rate // timing.broadcast_rate)
        self._inbox: Inbox[object] | None = None
        self._started_at: datetime | None = None
        self._phase: Phase = "waiting"
        self._ended: Outcome | None = None  # how it ended, once it has
        self._last_scores = (0, 0)
        self._none_inputs: tuple[None, ...] = (None,) * len(self._seats)
        self._time_up_at = math.inf  # set when play starts, if the spec has a time cap
        self._first_goal: Team | None = None
        self._unsent: Frames | None = None  # this tick's state, until the shard flushes

    # -- the actor's task ------------------------------------------------------

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        with Inbox(256, Overflow.REJECT, name=f"match:{self.spec.code}") as inbox:
            self._inbox = inbox
            task_status.started(inbox.handle)
            self._show()
            self._bus.presence_changed(self.spec.players)  # friends see game_playing
            outcome = Outcome("aborted", None, 0, 0)
            try:
                outcome = await self._play(inbox)
            finally:
                self._shard.remove(self)
                self._ended = outcome
                self._enter("aborted" if outcome.reason == "aborted" else "finished")
                with trio.CancelScope(shield=True):
                    await self._finish(outcome)

    async def _play(self, inbox: Inbox[object]) -> Outcome:
        now = trio.current_time()
        seats_by, deadline = now + self._timing.seat_timeout, now + self._timing.ready_timeout
        while not all(seat.ready for seat in self._seats):
            with trio.move_on_at(min(deadline, seats_by) if seats_by else deadline):
                if (ended := self._handle(await inbox.receive())) is not None:
                    return ended
                continue
            if seats_by and trio.current_time() >= seats_by:
                if not all(seat.taken for seat in self._seats):
                    return self._outcome("aborted", winner=None)
                seats_by = 0.0  # everyone came: now they have until the ready deadline
                continue
            return self._outcome("timeout", winner=self._only_ready_team())

        self._enter("countdown")
        countdown_ticks = round(self._timing.countdown * self._timing.tick_rate)
        self._broadcast_message(GameStarts(start_tick=self._state.tick + countdown_ticks))
        if (ended := await self._handle_until(inbox, trio.current_time() + self._timing.countdown)):
            return ended

        self._started_at = datetime.now(UTC)
        if self.spec.time_cap is not None:
            self._time_up_at = trio.current_time() + self.spec.time_cap
        self._play_on()
        while True:
            with trio.move_on_at(self._time_up_at):
                message = await inbox.receive()
            if trio.current_time() >= self._time_up_at:
                return self._time_up()
            if (ended := self._handle(message)) is not None:
                return ended
            if self._phase == "paused" and (ended := await self._wait_for_return(inbox)):
                return ended

    async def _handle_until(self, inbox: Inbox[object], deadline: float) -> Outcome | None:
        while True:
            with trio.move_on_at(deadline):
                if (ended := self._handle(await inbox.receive())) is not None:
                    return ended
                continue
            return None

    async def _wait_for_return(self, inbox: Inbox[object]) -> Outcome | None:
        """Paused: the missing players have ``grace`` seconds to come back."""
        deadline = trio.current_time() + self._timing.grace
        while self._missing_players():
            with trio.move_on_at(min(deadline, self._time_up_at)):
                if (ended := self._handle(await inbox.receive())) is not None:
                    return ended
                continue
            if trio.current_time() >= self._time_up_at:
                return self._time_up()
            missing_team = self._missing_players()[0].team
            return self._outcome("disconnect", winner=_other(missing_team))
        self._broadcast_message(OpponentReconnected())
        self._play_on()
        return None

    def _handle(self, message: object) -> Outcome | None:
        match message:
            case Join(connection, reply):
                self._join(connection, reply)
            case Ready(user_id):
                seat = self._by_user.get(user_id)
                if seat is not None:
                    seat.ready = True
            case Leave(user_id):
                if (seat := self._by_user.get(user_id)) is not None:
                    return self._outcome("forfeit", winner=_other(seat.team))
            case Gone(connection):
                self._gone(connection)
            case _Finished(outcome):
                return outcome
            case _Paused():
                pass  # the caller's loop sees the phase and waits for the player
            case _TickCrashed(error):
                log.error("match %s aborted: %r", self.spec.code, error)
                return self._outcome("aborted", winner=None)
        return None

    def _join(self, connection: PeerConnection, reply: Reply[Welcome]) -> None:
        seat = self._by_user.get(connection.user_id)
        if seat is None:
            if self.spec.private:
                reply.fail(JoinRefused(CloseCode.FORBIDDEN, "this match is private"))
                return
            self._spectators.append(connection)
            reply.send(self._welcome("spectator", None))
            return
        if seat.connection is not None and not seat.connection.closed:
            seat.connection.close(CloseCode.REPLACED, "replaced by a newer connection")
        seat.connection = connection
        seat.taken = True
        reply.send(self._welcome("player", seat.team))
        if self._phase == "playing":  # a newer tab took over mid-game
            connection.hand_over()

    def _gone(self, connection: PeerConnection) -> None:
        if connection in self._spectators:
            self._spectators.remove(connection)
            return
        seat = self._by_user.get(connection.user_id)
        if seat is None or seat.connection is not connection:
            return  # an old, replaced connection
        seat.connection = None
        if self._phase == "playing":
            self._pause()

    def _pause(self) -> None:
        self._shard.remove(self)
        self._enter("paused")
        self._broadcast_message(OpponentDisconnected(grace_seconds=self._timing.grace))

    def _play_on(self) -> None:
        """(Re)enter play: the shard reads the players' sockets from now on."""
        self._enter("playing")
        for seat in self._seats:
            if seat.connection is not None:
                seat.connection.hand_over()
        self._shard.add(self)

    def _enter(self, phase: Phase) -> None:
        self._phase = phase
        self._show()

    def _show(self) -> None:
        """Bring this match's line in the live index up to date."""
        self._live_matches.show(LiveMatch(
            self.spec.code, self.spec.mode, self.spec.players, len(self.spec.team_a),
            self.spec.score_to_win, self._state.score_a, self._state.score_b, self._phase,
            self.spec.private, self._started_at,
            reason=ended.reason if (ended := self._ended) else None,
            winning_team=ended.winning_team if ended else None,
        ))

    def _only_ready_team(self) -> Team | None:
        """A tournament match nobody can replay: the side that showed up wins it."""
        if not self.spec.tournament:
            return None
        teams = {seat.team for seat in self._seats if seat.ready}
        return teams.pop() if len(teams) == 1 else None

    def _time_up(self) -> Outcome:
        self._shard.remove(self)
        winner = time_up_winner(self._state.score_a, self._state.score_b, self._first_goal)
        return self._outcome("timeout", winner=winner)  # type: ignore[arg-type]

    def _missing_players(self) -> list[_Seat]:
        return [s for s in self._seats if s.connection is None or s.connection.closed]

    def _welcome(self, role: Literal["player", "spectator"], side: Team | None) -> Welcome:
        return Welcome(
            role=role,
            side=side,
            players=[SeatInfo(s.user_id, s.team, s.slot) for s in self._seats],
            config=MatchConfig(
                mode=self.spec.mode,
                score_to_win=self.spec.score_to_win,
                tick_rate=self._timing.tick_rate,
                broadcast_rate=self._timing.broadcast_rate,
                grace_seconds=self._timing.grace,
            ),
        )

    # -- the hot path: called by the tick shard ---------------------------------

    def tick(self) -> None:
        inputs = list(self._none_inputs)
        for seat in self._seats:
            connection = seat.connection
            if connection is not None and not connection.closed:
                for message in connection.receive_nowait():
                    match message:  # keyword patterns: positional ones cost 3x per message
                        case PaddlePositionUpdate(position=position):
                            if math.isfinite(position):
                                inputs[seat.slot] = position
                        case ReportLeft():
                            self._shard.remove(self)
                            self._notify(_Finished(self._outcome("forfeit", winner=_other(seat.team))))
                            return
                        case Ping(t):
                            connection.send(Pong(t=t))
            if connection is None or connection.closed:
                self._pause()
                self._notify(_Paused())
                return
        frozen_inputs = tuple(inputs)
        if frozen_inputs != self._none_inputs:
            self._inputs.append(self._state.tick, frozen_inputs)
        self._state = physics.step(self._state, frozen_inputs)
        scores = (self._state.score_a, self._state.score_b)
        if scores != self._last_scores:
            if self._first_goal is None:
                self._first_goal = "a" if scores[0] > self._last_scores[0] else "b"
            self._last_scores = scores
            self._show()
            self._unsent = self._state_frames()
        elif self._state.tick % self._broadcast_every == 0:
            self._unsent = self._state_frames()
        if self._state.winner is not None:
            self._shard.remove(self)
            self._notify(_Finished(self._outcome("score", winner=self._state.winner)))

    def flush(self) -> None:
        if self._unsent is not None:
            self._broadcast(self._unsent)
            self._unsent = None

    def tick_failed(self, error: Exception) -> None:
        self._notify(_TickCrashed(error))

    def _notify(self, message: object) -> None:
        assert self._inbox is not None
        self._inbox.handle.send_nowait(message)

    def _state_frames(self) -> Frames:
        state = reference_state(
            self._state,
            initiator_id=self.spec.team_a[0],
            invited_id=self.spec.team_b[0],
            seats=self._seat_teams,
            invited_slot=len(self.spec.team_a),
            tournament=self.spec.tournament,
            seconds_left=self._seconds_left(),
        )
        return Frames(GameStateUpdate(state=state))

    def _seconds_left(self) -> int | None:
        if math.isinf(self._time_up_at):
            return None
        return max(0, math.ceil(self._time_up_at - trio.current_time()))

    def _broadcast_message(self, message: ServerMessage) -> None:
        self._broadcast(Frames(message))

    def _broadcast(self, frames: Frames) -> None:
        for seat in self._seats:
            if seat.connection is not None and not seat.connection.closed:
                seat.connection.send_frames(frames)
        for spectator in self._spectators:
            if not spectator.closed:
                spectator.send_frames(frames)

    # -- the end -------------------------------------------------------------------

    def _outcome(self, reason: EndReason, *, winner: Team | None) -> Outcome:
        return Outcome(reason, winner, self._state.score_a, self._state.score_b)

    async def _finish(self, outcome: Outcome) -> None:
        """Players are freed (a tick at most is waited for it), then hear the end;
        the record is written after, as writing it may take retries
        (``MatchRecorder``). A tournament's players stay engaged until then: the
        tournament takes its winner back when it hears the record."""
        started = self._started_at
        duration = (datetime.now(UTC) - started).total_seconds() if started else 0.0
        winner_id = None
        if outcome.winning_team is not None:
            winners = self.spec.team_a if outcome.winning_team == "a" else self.spec.team_b
            winner_id = winners[0]
        async with trio.open_nursery() as nursery:
            if not self.spec.tournament:
                # Freeing them is one write, awaited for a tick at most: a "play again"
                # sent the moment game_ended arrives finds them free, and an outage
                # delays the news by no more than that tick.
                freed = trio.Event()
                nursery.start_soon(self._free_players, freed.set)
                with trio.move_on_after(1 / self._timing.tick_rate):
                    await freed.wait()
            self._broadcast_message(GameEnded(
                initiator_score=outcome.score_a,
                invited_score=outcome.score_b,
                winner_id=winner_id,
                reason=outcome.reason,
                initiator_id=self.spec.team_a[0],
                invited_id=self.spec.team_b[0],
            ))
            for connection in self._connections():
                connection.close(CloseCode.NORMAL, "game over")
            record = MatchRecord(
                spec=self.spec,
                outcome=outcome,
                started_at=started,
                duration_seconds=duration,
                own_goals=physics.own_goals_by_slot(self._state),
                inputs=self._inputs,
            )
            try:
                await self._record(record)
            except Exception:
                log.exception("could not record match %s", self.spec.code)
            finally:
                # From here the record answers for the match (GET /api/game/matches/<code>/).
                self._live_matches.remove(self.spec.code)
        if self.spec.tournament:
            await self._free_players()

    async def _free_players(self, then: Callable[[], None] = lambda: None) -> None:
        """Free the players (tried again through an outage), then ``then()``."""
        code = self.spec.code
        try:
            await retrying(lambda _: self._engagements.release_all(f"match:{code}"),
                           what=f"freeing the players of match {code}")
        except Exception:
            log.exception("the players of match %s stay engaged to it", code)
        self._bus.presence_changed(self.spec.players)
        then()

    def _connections(self) -> list[PeerConnection]:
        seated = [s.connection for s in self._seats if s.connection is not None]
        return seated + self._spectators


def _other(team: Team) -> Team:
    return "b" if team == "a" else "a"
