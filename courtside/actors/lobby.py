"""One lobby (``lobby:<code>``): its members, teams, ready flags and bans, until its match.

Every member is engaged in ``lobby:<code>`` (``Engagements``), so a member cannot
queue, play or join another lobby meanwhile (409). When both teams are complete
and every player is ready, the lobby starts the match the way the matchmakers
do: the players move to ``match:<code>`` in one step and get ``game-start``;
spectators get ``lobby-spectate-game`` and are free again. The lobby's work is
then done and it closes.

Lobbies are not persisted: they live minutes and hold nothing worth a row. A
lobby that crashes tells its members ``lobby-destroy`` and frees them on its way
out; the incarnation its supervisor restarts has nothing to rebuild, tells anyone
still engaged in its name the same, and ends.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import trio

from courtside.protocol import Conflict, Forbidden, MethodNotAllowed, NotFound, ValidationFailed

from .bus import Bus
from .engagements import Busy, Engagements, already_engaged
from .handle import Inbox, Overflow
from .lobby_messages import (
    Ban,
    ChangeSelf,
    ChangeSettings,
    Instance,
    Invite,
    Join,
    LeaveLobby,
    LobbyTeam,
    Member,
    Person,
    Say,
    Settings,
    Show,
)
from .match_messages import MatchSpec
from .matchmaker import new_match_code

log = logging.getLogger(__name__)

TEAM_SIZE = {"1v1": 1, "3v3": 3}
MAX_SPECTATORS = 8  # custom games only; a clash lobby holds its six players
INBOX_CAPACITY = 64


def not_in_lobby() -> Forbidden:
    # The reference's 403 both for a lobby you are not in and one that does not exist.
    return Forbidden("You are not in this lobby.", code="not_in_lobby")


def not_creator() -> Forbidden:
    return Forbidden("Only the lobby creator may do this.", code="not_lobby_creator")


class Lobby:
    """Start with ``supervisor.start(lambda: Lobby(...), name=f"lobby:{code}")``; the
    creator's engagement is claimed before it starts (Busy comes out of start())."""

    def __init__(
        self,
        lobby_id: int,
        code: str,
        *,
        creator: Person | None,
        settings: Settings,
        engagements: Engagements,
        bus: Bus,
        start_match: Callable[[MatchSpec], Awaitable[str]],  # answers its ws_url
    ) -> None:
        self.id = lobby_id
        self.code = code
        self._name = f"lobby:{code}"
        self._creator = creator  # None: a restarted incarnation, with nothing to rebuild
        self._settings = settings
        self._engagements = engagements
        self._bus = bus
        self._start_match = start_match
        self._created_at = datetime.now(UTC)
        self._members: dict[int, Member] = {}  # in order of arrival
        self._creator_id = 0
        self._banned: set[int] = set()
        self._closed = False

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        if self._creator is None:
            await self._destroy(await self._engagements.holding(self._name))
            return
        await self._engagements.claim([self._creator.id], self._name)
        self._creator_id = self._creator.id
        self._members[self._creator.id] = Member(self._creator, self._first_free_team(), _now())
        try:
            with Inbox(INBOX_CAPACITY, Overflow.REJECT, name=self._name) as inbox:
                task_status.started(inbox.handle)
                while not self._closed:
                    await self._handle(await inbox.receive())
        finally:
            if self._members:  # it did not close the usual way: a crash, or shutdown
                await self._destroy(list(self._members))

    async def _destroy(self, user_ids: list[int]) -> None:
        await self._engagements.release_all(self._name)
        if user_ids:
            self._bus.publish(user_ids, "lobby-destroy", {"code": self.code})
        self._members.clear()
        self._closed = True

    async def _handle(self, message: object) -> None:
        match message:
            case Join(person, blocked_by, reply):
                try:
                    reply.send(await self._join(person, blocked_by))
                except Exception as refused:
                    reply.fail(refused)
            case Show(user_id, reply):
                if user_id in self._members:
                    reply.send(self.instance())
                else:
                    reply.fail(NotFound("You are not in this lobby."))
            case LeaveLobby(user_id, reply):
                if user_id not in self._members:
                    reply.fail(not_in_lobby())
                    return
                await self._remove(user_id, banned=False)
                reply.send(None)
                await self._start_when_ready()
            case Ban(by_id, user_id, reply):
                try:
                    await self._ban(by_id, user_id)
                except Exception as refused:
                    reply.fail(refused)
                    return
                reply.send(None)
                await self._start_when_ready()
            case Invite(by_id, user_id, reply):
                try:
                    self._invite(by_id, user_id)
                except Exception as refused:
                    reply.fail(refused)
                    return
                reply.send(None)
            case Say(user_id, content, reply):
                member = self._members.get(user_id)
                if member is None:
                    reply.fail(not_in_lobby())
                    return
                said = {"id": user_id, "content": content, "created_at": _now()}
                self._bus.publish(self._others(user_id), "lobby-message", said,
                                  {"username": member.person.username})
                reply.send(said)
            case ChangeSettings(user_id, match_type, score_to_win, reply):
                try:
                    reply.send(self._change_settings(user_id, match_type, score_to_win))
                except Exception as refused:
                    reply.fail(refused)
            case ChangeSelf(user_id, is_ready, team, reply):
                try:
                    reply.send(self._change_self(user_id, is_ready, team))
                except Exception as refused:
                    reply.fail(refused)
                    return
                await self._start_when_ready()

    # -- membership --------------------------------------------------------------

    async def _join(self, person: Person, blocked_by: frozenset[int]) -> Instance:
        if person.id in self._members:
            raise Conflict("You are already in this lobby.", code="already_in_lobby")
        if self._creator_id in blocked_by:
            raise NotFound("No lobby has this code.")
        if person.id in self._banned:
            raise Forbidden("You are banned from this lobby.", code="lobby_banned")
        if len(self._members) >= self.max_participants:
            raise Conflict("This lobby is full.", code="lobby_full")
        try:
            await self._engagements.claim([person.id], self._name)
        except Busy as busy:
            raise already_engaged(busy.engagement) from None
        member = Member(person, self._first_free_team(), _now())
        self._members[person.id] = member
        self._bus.publish(self._others(person.id), "lobby-join", self._participant(member),
                          {"username": person.username})
        return self._participant(member)

    async def _remove(self, user_id: int, *, banned: bool) -> None:
        member = self._members.pop(user_id)
        await self._engagements.release(user_id, self._name)
        if banned:
            self._bus.publish_to_user(user_id, "lobby-banned", {"code": self.code})
        self._bus.publish(self._members, "lobby-leave", {"id": user_id},
                          {"username": member.person.username})
        if user_id != self._creator_id:
            return
        successor = next((m for m in self._members.values() if not m.person.is_guest), None)
        if successor is None:
            # Guests cannot hold a lobby: without a registered member it is over.
            await self._destroy(list(self._members))
            return
        self._creator_id = successor.person.id
        self._bus.publish(self._members, "lobby-update-participant",
                          {"id": successor.person.id, "creator": True})

    async def _ban(self, by_id: int, user_id: int) -> None:
        self._require_creator(by_id)
        if user_id == by_id:
            raise Forbidden("You cannot ban yourself; leave the lobby instead.", code="ban_self")
        if user_id not in self._members:
            raise NotFound("This user is not in the lobby.")
        self._banned.add(user_id)
        await self._remove(user_id, banned=True)

    def _invite(self, by_id: int, user_id: int) -> None:
        inviter = self._require_creator(by_id)
        if user_id == by_id:
            raise Forbidden("You cannot invite yourself.", code="invite_self")
        if user_id in self._members:
            raise Conflict("This user is already in the lobby.", code="already_in_lobby")
        kind = "clash" if self._settings.game_mode == "clash" else self._settings.match_type
        self._bus.publish_to_user(user_id, f"invite-{kind}", {"id": self.id, "code": self.code},
                                  {"username": inviter.person.username, "code": self.code})

    def _require_creator(self, user_id: int) -> Member:
        member = self._members.get(user_id)
        if member is None:
            raise not_in_lobby()
        if user_id != self._creator_id:
            raise not_creator()
        return member

    # -- settings and seats -----------------------------------------------------------

    def _change_settings(self, user_id: int, match_type: str | None, score_to_win: int | None) -> Instance:
        if user_id not in self._members:
            raise NotFound("You are not in this lobby.")
        if self._settings.game_mode == "clash":
            raise MethodNotAllowed("A clash is always 3v3 to the usual score.", code="clash_fixed")
        self._require_creator(user_id)
        changed: dict[str, Any] = {}
        if match_type is not None and match_type != self._settings.match_type:
            changed["match_type"] = match_type
        if score_to_win is not None and score_to_win != self._settings.score_to_win:
            changed["score_to_win"] = score_to_win
        if not changed:
            return self.instance()
        self._settings = Settings(
            self._settings.game_mode,
            changed.get("match_type", self._settings.match_type),  # type: ignore[arg-type]
            changed.get("score_to_win", self._settings.score_to_win),
        )
        # The players agreed to the old settings; and a smaller team sends its
        # latest arrivals to the stands.
        for member in self._members.values():
            member.is_ready = False
        size = TEAM_SIZE[self._settings.match_type]
        for team in ("a", "b"):
            for surplus in self._team(team)[size:]:
                surplus.team = "spectator"
        changed["participants"] = [self._participant(m) for m in self._members.values()]
        changed["max_participants"] = self.max_participants
        self._bus.publish(self._others(self._creator_id), "lobby-update", changed)
        return self.instance()

    def _change_self(self, user_id: int, is_ready: bool | None, team: LobbyTeam | None) -> Instance:
        member = self._members.get(user_id)
        if member is None:
            raise not_in_lobby()
        changed: dict[str, Any] = {}
        if team is not None and team != member.team:
            if self._settings.game_mode == "clash":
                raise ValidationFailed(errors={"team": ["A clash assigns the teams itself."]})
            if team != "spectator" and len(self._team(team)) >= TEAM_SIZE[self._settings.match_type]:
                raise Forbidden(f"Team {team} is full.", code="team_full")
            member.team = changed["team"] = team
            if member.is_ready:  # ready to play in the other seat is not the same thing
                member.is_ready = changed["is_ready"] = False
        if is_ready is not None and is_ready != member.is_ready:
            member.is_ready = changed["is_ready"] = is_ready
        if changed:
            self._bus.publish(self._others(user_id), "lobby-update-participant",
                              {"id": user_id, **changed})
        return self._participant(member)

    def _team(self, team: str) -> list[Member]:
        return [m for m in self._members.values() if m.team == team]

    def _first_free_team(self) -> LobbyTeam:
        size = TEAM_SIZE[self._settings.match_type]
        a, b = len(self._team("a")), len(self._team("b"))
        if self._settings.game_mode == "clash":
            return "a" if a <= b else "b"
        if a < size:
            return "a"
        return "b" if b < size else "spectator"

    # -- the match ---------------------------------------------------------------------

    async def _start_when_ready(self) -> None:
        if self._closed:
            return
        size = TEAM_SIZE[self._settings.match_type]
        team_a, team_b = self._team("a"), self._team("b")
        if len(team_a) != size or len(team_b) != size:
            return
        if not all(m.is_ready for m in team_a + team_b):
            return
        spec = MatchSpec(
            code=new_match_code(),
            mode=self._settings.game_mode,
            team_a=tuple(m.person.id for m in team_a),
            team_b=tuple(m.person.id for m in team_b),
            seed=secrets.randbits(63),
            score_to_win=self._settings.score_to_win,
        )
        match_name = f"match:{spec.code}"
        await self._engagements.transfer(spec.players, self._name, match_name)
        try:
            ws_url = await self._start_match(spec)
        except Exception:
            log.exception("lobby %s could not start its match", self.code)
            await self._engagements.transfer(spec.players, match_name, self._name)
            for member in team_a + team_b:
                member.is_ready = False
                self._bus.publish(self._members, "lobby-update-participant",
                                  {"id": member.person.id, "is_ready": False})
            return
        for team, opponents in ((spec.team_a, spec.team_b), (spec.team_b, spec.team_a)):
            for user_id in team:
                self._bus.publish_to_user(user_id, "game-start", {
                    "code": spec.code,
                    "game_mode": spec.mode,
                    "opponent_id": opponents[0],
                    "team_a": list(spec.team_a),
                    "team_b": list(spec.team_b),
                    "ws_url": ws_url,
                })
        spectators = [m.person.id for m in self._team("spectator")]
        self._bus.publish(spectators, "lobby-spectate-game", {"code": spec.code, "ws_url": ws_url})
        for user_id in spectators:
            await self._engagements.release(user_id, self._name)
        self._members.clear()
        self._closed = True

    # -- what members see ----------------------------------------------------------------

    @property
    def max_participants(self) -> int:
        players = 2 * TEAM_SIZE[self._settings.match_type]
        return players if self._settings.game_mode == "clash" else players + MAX_SPECTATORS

    def _others(self, user_id: int) -> list[int]:
        return [other for other in self._members if other != user_id]

    def _participant(self, member: Member) -> Instance:
        participant: Instance = {
            "id": member.person.id,
            "username": member.person.username,
            "nickname": member.person.nickname,
            "is_guest": member.person.is_guest,
            "profile_picture": member.person.profile_picture,
            "creator": member.person.id == self._creator_id,
            "join_at": member.join_at,
            "is_ready": member.is_ready,
        }
        if self._settings.game_mode == "custom_game":
            participant["team"] = member.team
        return participant

    def instance(self) -> Instance:
        """The reference's LobbyInstance, plus the custom game's score_to_win."""
        return {
            "id": self.id,
            "code": self.code,
            "participants": [self._participant(m) for m in self._members.values()],
            "is_full": len(self._members) >= self.max_participants,
            "max_participants": self.max_participants,
            "created_at": self._created_at,
            "game_mode": self._settings.game_mode,
            "match_type": self._settings.match_type,
            "score_to_win": self._settings.score_to_win,
        }


def _now() -> datetime:
    return datetime.now(UTC)
