"""The way in to lobbies: creates them under the supervisor, finds them, asks them.

A lobby is found by code (``lobby:<code>`` in the registry) or, for "my lobby",
through the caller's engagement. A lobby may close between being found and being
asked (its match started, its last member left): that answers as the caller's
``missing`` error, the same as a lobby never found.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from courtside.protocol import ApiError, ServiceUnavailable

from .bus import Bus
from .engagements import Engagements
from .handle import Reply
from .lobby import Lobby
from .lobby_messages import Instance, Person, Settings, Show
from .match_messages import MatchSpec
from .matchmaker import new_match_code
from .registry import Registry, ask_named
from .supervisor import Restart, Supervisor

T = TypeVar("T")

REQUEST_TIMEOUT = 5.0
LOBBY = "lobby:"


def busy() -> ServiceUnavailable:
    return ServiceUnavailable("The lobby is busy; try again.", code="lobby_unavailable")


def lobby_code_of(engagements: Engagements, user_id: int) -> str | None:
    """The code of the lobby the user is in, if any."""
    engagement = engagements.of(user_id) or ""
    return engagement.removeprefix(LOBBY) if engagement.startswith(LOBBY) else None


async def ask_lobby(
    registry: Registry, code: str, make_message: Callable[[Reply[T]], Any], *, missing: ApiError
) -> T:
    """Send a request to the lobby ``code``; ``missing`` when there is none."""
    return await ask_named(registry, LOBBY + code, make_message,
                           timeout=REQUEST_TIMEOUT, missing=missing, busy=busy())


class Lobbies:
    def __init__(
        self,
        *,
        supervisor: Supervisor,
        registry: Registry,
        engagements: Engagements,
        bus: Bus,
        start_match: Callable[[MatchSpec], Awaitable[None]],
        ws_url: Callable[[str], str],
    ) -> None:
        self._supervisor = supervisor
        self._registry = registry
        self._engagements = engagements
        self._bus = bus
        self._start_match = start_match
        self._ws_url = ws_url
        self._ids = itertools.count(1)

    async def create(self, creator: Person, settings: Settings) -> Instance:
        """A new lobby held by ``creator``; Busy when they are engaged elsewhere."""
        code = new_match_code()
        lobby_id = next(self._ids)
        incarnations = itertools.count()

        def incarnate() -> Lobby:
            # A restarted lobby has no creator to start from: it closes (see lobby.py).
            first = next(incarnations) == 0
            return Lobby(
                lobby_id, code, creator=creator if first else None, settings=settings,
                engagements=self._engagements, bus=self._bus,
                start_match=self._start_match, ws_url=self._ws_url,
            )

        try:
            await self._supervisor.start(incarnate, name=LOBBY + code, restart=Restart.ON_FAILURE)
        except RuntimeError:
            raise ServiceUnavailable("The server is shutting down.") from None
        return await self.ask(code, functools.partial(Show, creator.id), missing=busy())

    def code_of(self, user_id: int) -> str | None:
        """The code of the lobby the user is in, if any."""
        return lobby_code_of(self._engagements, user_id)

    async def ask(
        self, code: str, make_message: Callable[[Reply[T]], Any], *, missing: ApiError
    ) -> T:
        """Send a request to the lobby ``code``; ``missing`` when there is none."""
        return await ask_lobby(self._registry, code, make_message, missing=missing)
