"""The way in to tournaments: creates them, brings unfinished ones back, asks them."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from courtside.persistence import Database
from courtside.persistence.chats import Chats
from courtside.persistence.tournaments import AlreadyHosting, Tournaments as TournamentRows
from courtside.protocol import ApiError, Conflict, ServiceUnavailable

from .bus import Bus
from .chat_rooms import ChatRooms
from .engagements import Engagements
from .handle import Reply
from .lobby_messages import Person
from .matchmaker import new_match_code
from .registry import NameTaken, ask_named
from .supervisor import Restart, Supervisor
from .tournament import TOURNAMENT, Tournament, busy
from .tournament_messages import Instance, ShowTournament, TournamentTiming

T = TypeVar("T")
REQUEST_TIMEOUT = 5.0


class TournamentDirectory:
    def __init__(
        self,
        *,
        supervisor: Supervisor,
        database: Database,
        engagements: Engagements,
        bus: Bus,
        chat_rooms: ChatRooms,
        start_match: Callable[..., Awaitable[None]],
        ws_url: Callable[[str], str],
        avatar_urls: Callable[[str | None], dict[str, str]],
        timing: TournamentTiming = TournamentTiming(),
    ) -> None:
        self._supervisor = supervisor
        self._database = database
        self._engagements = engagements
        self._bus = bus
        self._chat_rooms = chat_rooms
        self._start_match = start_match
        self._ws_url = ws_url
        self._avatar_urls = avatar_urls
        self._timing = timing

    async def launch(self, code: str) -> None:
        """Run the actor of the stored tournament ``code`` here, restarted on failure,
        unless a live node runs it already (the cluster's lease decides)."""
        if not await self._bus.claim(TOURNAMENT + code):
            return
        factory = functools.partial(
            Tournament, code, database=self._database,
            engagements=self._engagements, bus=self._bus, chat_rooms=self._chat_rooms,
            start_match=self._start_match,
            ws_url=self._ws_url, avatar_urls=self._avatar_urls, timing=self._timing,
        )
        try:
            await self._supervisor.start(factory, name=TOURNAMENT + code, restart=Restart.ON_FAILURE,
                                         on_exit=self._gone)
        except NameTaken:
            pass  # it runs here already
        except RuntimeError:
            raise ServiceUnavailable("The server is shutting down.") from None

    async def _gone(self, name: str, crashed: Exception | None) -> None:
        """No incarnation runs any more (given up, or ended): nobody stays engaged in it.
        One stopped by a shutdown keeps its people and its lease: a survivor, or this
        node started again, takes it over from its rows."""
        if self._supervisor.stopping:
            return
        await self._engagements.release_all(name)
        await self._bus.release(name)

    async def take_over(self, name: str) -> None:
        """A dead node ran this tournament: it goes on here, from its rows."""
        await self.launch(name.removeprefix(TOURNAMENT))

    async def resume_all(self) -> None:
        """At start-up: every tournament left open or running resumes from its rows."""
        for code in await TournamentRows(self._database).unfinished_codes():
            await self.launch(code)

    async def create(self, creator: Person, *, name: str, size: int, private: bool, alias: str) -> Instance:
        code = new_match_code()
        # Claimed before the rows are written: a lobby or queue joined meanwhile is refused.
        await self._engagements.claim([creator.id], TOURNAMENT + code)
        try:
            async with self._database.transaction() as tx:
                chat_id = await Chats(tx).create_owned_group(name, [creator.id])
                await TournamentRows(tx).create(code=code, name=name, size=size, private=private,
                                                creator_id=creator.id, alias=alias, chat_id=chat_id)
            await self.launch(code)
        except BaseException as failed:
            await self._engagements.release(creator.id, TOURNAMENT + code)
            if isinstance(failed, AlreadyHosting):
                raise Conflict("You already run an open tournament.",
                               code="already_hosting") from None
            raise
        return await self.ask(code, functools.partial(ShowTournament, creator.id), missing=busy())

    async def ask(self, code: str, make_message: Callable[[Reply[T]], Any], *, missing: ApiError) -> T:
        return await ask_named(self._bus.find, TOURNAMENT + code, make_message,
                               timeout=REQUEST_TIMEOUT, missing=missing, busy=busy())
