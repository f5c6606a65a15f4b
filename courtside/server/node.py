"""The supervision tree of one Courtside process, started in dependency order.

database -> migrations -> actor supervisor (notification hub, tick shard, game
port, queues) -> HTTP server. Shutdown runs the other way: stop accepting HTTP,
close user sockets with 1001 and end event streams, let requests drain and
matches under way finish within the grace, close game sockets with 1001, stop
actors (aborting and recording what still plays), close the pool, stop the
embedded PostgreSQL.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import hypercorn
import hypercorn.trio
import trio
from quart import Quart

from courtside.actors import (
    HUB,
    INVITATIONS,
    Bus,
    ChatRooms,
    Engagements,
    Invitations,
    Kickoff,
    Lobbies,
    LoopStalls,
    NotificationHub,
    Registry,
    Restart,
    Supervisor,
)
from courtside.actors.tournament_messages import TournamentTiming
from courtside.actors.tournaments import TournamentDirectory
from courtside.http import Metrics, OpenSockets, Services, Throttle, TokenSigner, create_app
from courtside.http.chat import message_instance
from courtside.http import hypercorn_websockets
from courtside.http.live import user_socket
from courtside.persistence import AvatarStore, Database, EmbeddedPostgres, Social, Users, migrate

from .config import Config, resolve_secret_key
from .games import Games, start_games

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Node:
    """A running process: where it listens, and the switch that stops it."""

    http_url: str
    app: Quart
    database: Database
    services: Services
    games: Games
    _shutdown: trio.Event

    def shutdown(self) -> None:
        self._shutdown.set()


@asynccontextmanager
async def database_for(config: Config) -> AsyncIterator[Database]:
    """The configured PostgreSQL, or the embedded one, migrated and pooled."""
    if config.database_url is not None:
        log.info("database: %s", _without_password(config.database_url))
        async with Database.open(config.database_url, pool_size=config.db_pool_size) as db:
            await migrate(db)
            yield db
        return
    embedded = EmbeddedPostgres(config.data_dir / "postgres")
    await trio.to_thread.run_sync(embedded.start)
    try:
        log.info("database: embedded PostgreSQL in %s", embedded.data_dir)
        async with Database.open(embedded.url(), pool_size=config.db_pool_size) as db:
            await migrate(db)
            yield db
    finally:
        with trio.CancelScope(shield=True):
            await trio.to_thread.run_sync(embedded.stop)


async def run_node(config: Config, *, task_status: trio.TaskStatus[Node] = trio.TASK_STATUS_IGNORED) -> None:
    """Run until ``Node.shutdown()``; ``task_status.started`` once it serves."""
    secret_key = resolve_secret_key(config)
    async with database_for(config) as database, trio.open_nursery() as actors_nursery:
        registry = Registry()
        supervisor = Supervisor(registry=registry)
        await actors_nursery.start(supervisor.run)
        sockets = OpenSockets()
        tokens = TokenSigner(secret_key)
        games: Games | None = None
        metrics = Metrics(
            actors_by_kind=supervisor.live_by_kind,
            mailbox_depth_by_kind=registry.depth_by_kind,
            db_connections_in_use=lambda: database.connections_in_use,
            db_pool_size=lambda: database.pool_size,
            open_sockets=lambda: len(sockets),
            live_matches=lambda: len(games.shard) if games else 0,
            game_sockets=lambda: games.game_port.open_sockets if games else 0,
        )
        stalls = LoopStalls()
        await actors_nursery.start(stalls.run)
        metrics.watch_loop(stalls)
        engagements, bus = Engagements(), Bus(registry)
        await start_hub(supervisor, database, engagements)
        games = await start_games(
            config, actors_nursery, supervisor=supervisor, registry=registry,
            database=database, tokens=tokens, metrics=metrics, bus=bus, engagements=engagements,
        )
        log.info("serving game sockets on ws://%s:%s", config.host, games.game_port.port)
        avatars = AvatarStore(config.data_dir / "media")
        await trio.to_thread.run_sync(avatars.ensure_default)
        chat_rooms = ChatRooms(
            supervisor=supervisor, registry=registry, database=database, bus=bus,
            render_message=functools.partial(message_instance, avatars=avatars),
        )
        svc = Services(
            database=database,
            supervisor=supervisor,
            registry=registry,
            throttle=Throttle(
                burst=config.throttle_burst,
                per_second=config.throttle_per_second,
                clock=trio.current_time,
            ),
            throttle_exempt_addresses=frozenset(config.throttle_exempt_addresses),
            metrics=metrics,
            sockets=sockets,
            tokens=tokens,
            failed_logins_by_username=_failed_logins(config, config.failed_logins_per_username),
            failed_logins_by_ip=_failed_logins(config, config.failed_logins_per_ip),
            avatars=avatars,
            ws_url=games.ws_url,
            live_matches=games.live_matches,
            bus=bus,
            chat_rooms=chat_rooms,
            lobbies=Lobbies(
                supervisor=supervisor, registry=registry, engagements=engagements, bus=bus,
                start_match=games.start_match, ws_url=games.ws_url,
            ),
            tournaments=TournamentDirectory(
                supervisor=supervisor, registry=registry, database=database,
                engagements=engagements, bus=bus, chat_rooms=chat_rooms,
                start_match=games.start_match, ws_url=games.ws_url, avatar_urls=avatars.urls,
                timing=TournamentTiming(round_cap=config.tournament_round_seconds),
            ),
        )
        await svc.tournaments.resume_all()
        await supervisor.start(
            functools.partial(
                Invitations, database=database, chat_rooms=svc.chat_rooms, lobbies=svc.lobbies,
                engagements=engagements, bus=bus,
                render_message=functools.partial(message_instance, avatars=avatars),
                kickoff=Kickoff(engagements=engagements, bus=bus, start_match=games.start_match,
                                ws_url=games.ws_url),
            ),
            name=INVITATIONS,
            restart=Restart.ON_FAILURE,
            vital=True,
        )
        app = create_app(svc)
        shutdown = trio.Event()
        async with trio.open_nursery() as http_nursery:
            binds = await http_nursery.start(
                functools.partial(
                    hypercorn.trio.serve,
                    app,
                    _hypercorn_config(config),
                    shutdown_trigger=shutdown.wait,
                )
            )
            http_url = binds[0]
            log.info("serving HTTP on %s", http_url)
            task_status.started(Node(http_url, app, database, svc, games, shutdown))
            await shutdown.wait()
            log.info("shutting down: closing sockets, draining requests and matches")
            sockets.close_all()
            await games.let_matches_finish(config.shutdown_grace_seconds)
            games.game_port.close_all()
        await supervisor.shutdown()
        actors_nursery.cancel_scope.cancel()
    log.info("stopped")


async def start_hub(supervisor: Supervisor, database: Database, engagements: Engagements) -> None:
    """The notification hub: restarted on failure, its connections then reconnect."""
    await supervisor.start(
        lambda: NotificationHub(
            engagements=engagements,
            friends_of=Social(database).friend_ids,
            went_offline=Users(database).went_offline,
        ),
        name=HUB,
        restart=Restart.ON_FAILURE,
        vital=True,
    )


def _failed_logins(config: Config, allowed: int) -> Throttle:
    return Throttle(
        burst=allowed,
        per_second=allowed / config.failed_login_window_seconds,
        clock=trio.current_time,
    )


def _hypercorn_config(config: Config) -> hypercorn.Config:
    hypercorn_websockets.install()  # close frames for the frames wsproto refuses
    hconfig = hypercorn.Config()
    hconfig.bind = [f"{config.host}:{config.port}"]
    hconfig.graceful_timeout = config.shutdown_grace_seconds
    hconfig.websocket_max_message_size = user_socket.MAX_MESSAGE_BYTES
    hconfig.accesslog = None
    hconfig.errorlog = logging.getLogger("hypercorn.error")
    return hconfig


def _without_password(url: str) -> str:
    scheme, _, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"
