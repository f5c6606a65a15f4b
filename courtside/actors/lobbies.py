"""The way in to lobbies: creates them under the supervisor, finds them, asks them.

A lobby is found by code (``lobby:<code>``, on whichever node runs it) or, for "my lobby",
through the caller's engagement. A lobby may close between being found and being
asked (its match started, its last member left): that answers as the caller's
``missing`` error, the same as a lobby never found.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from courtside.persistence import Database
from courtside.protocol import ApiError, ServiceUnavailable

from .bus import Bus
from .engagements import Engagements
from .handle import Reply
from .lobby import Lobby
from .lobby_messages import Instance, Person, Settings, Show
from .match_messages import MatchSpec
from .matchmaker import new_match_code
from .registry import ask_named
from .supervisor import Restart, Supervisor

T = TypeVar("T")

REQUEST_TIMEOUT = 5.0
LOBBY = "lobby:"


def busy() -> ServiceUnavailable:
    return ServiceUnavailable("The lobby is busy; try again.", code="lobby_unavailable")


async def lobby_code_of(engagements: Engagements, user_id: int) -> str | None:
    """The code of the lobby the user is in, if any."""
    engagement = await engagements.of(user_id) or ""
    return engagement.removeprefix(LOBBY) if engagement.startswith(LOBBY) else None


async def ask_lobby(
    bus: Bus, code: str, make_message: Callable[[Reply[T]], Any], *, missing: ApiError
) -> T:
    """Send a request to the lobby ``code``, on whichever node runs it; ``missing``
    when there is none."""
    return await ask_named(bus.find, LOBBY + code, make_message,
                           timeout=REQUEST_TIMEOUT, missing=missing, busy=busy())


class Lobbies:
    def __init__(
        self,
        *,
        supervisor: Supervisor,
        engagements: Engagements,
        bus: Bus,
        database: Database,
        start_match: Callable[[MatchSpec], Awaitable[str]],  # answers its ws_url
    ) -> None:
        self._supervisor = supervisor
        self._engagements = engagements
        self._bus = bus
        self._database = database
        self._start_match = start_match

    async def create(self, creator: Person, settings: Settings) -> Instance:
        """A new lobby held by ``creator``; Busy when they are engaged elsewhere."""
        code = new_match_code()
        lobby_id = await self._database.fetchval("SELECT nextval('lobby_ids')", write=True)
        incarnations = itertools.count()

        def incarnate() -> Lobby:
            # A restarted lobby has no creator to start from: it closes (see lobby.py).
            first = next(incarnations) == 0
            return Lobby(
                lobby_id, code, creator=creator if first else None, settings=settings,
                engagements=self._engagements, bus=self._bus,
                start_match=self._start_match,
            )

        await self._bus.claim(LOBBY + code)  # a new code: nobody else can hold it
        try:
            await self._supervisor.start(incarnate, name=LOBBY + code, restart=Restart.ON_FAILURE,
                                         on_exit=self._gone)
        except RuntimeError:
            raise ServiceUnavailable("The server is shutting down.") from None
        return await self.ask(code, functools.partial(Show, creator.id), missing=busy())

    async def _gone(self, name: str, crashed: Exception | None) -> None:
        await self._bus.release(name)

    async def take_over(self, name: str) -> None:
        """A dead node ran this lobby, and nothing of it was kept: its members are told
        it is gone, and are free again."""
        members = await self._engagements.holding(name)
        await self._engagements.release_all(name)
        if members:
            self._bus.publish(members, "lobby-destroy", {"code": name.removeprefix(LOBBY)})

    async def code_of(self, user_id: int) -> str | None:
        """The code of the lobby the user is in, if any."""
        return await lobby_code_of(self._engagements, user_id)

    async def ask(
        self, code: str, make_message: Callable[[Reply[T]], Any], *, missing: ApiError
    ) -> T:
        """Send a request to the lobby ``code``; ``missing`` when there is none."""
        return await ask_lobby(self._bus, code, make_message, missing=missing)
