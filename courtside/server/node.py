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
from datetime import timedelta

import hypercorn
import hypercorn.trio
import trio
from quart import Quart

from courtside.actors import (
    AWAY_FROM_LOBBIES,
    INVITATIONS,
    AwayFromLobbies,
    ChatRooms,
    Invitations,
    Kickoff,
    Lobbies,
    LoopStalls,
    Registry,
    Restart,
    Supervisor,
    tell_lobbies_offline,
)
from courtside.actors.notification_store import (
    NOTIFICATION_STORE,
    NotificationSink,
    NotificationStore,
)
from courtside.actors.tournament_messages import TournamentTiming
from courtside.cluster import ClusterNode
from courtside.actors.tournaments import TournamentDirectory
from courtside.actors.world_chat import WorldChat
from courtside.http import Metrics, OpenSockets, Services, Throttle, TokenSigner, create_app
from courtside.http.auth.mail import Mailer, SmtpServer
from courtside.http.auth.oauth_client import OAuthProviders, Provider
from courtside.http.chat import message_instance
from courtside.http import hypercorn_websockets
from courtside.http.connection_limits import ConnectionsPerIp
from courtside.http.live import session
from courtside.http.live.lean_channel import serve_lean_channel
from courtside.http.public_url import PublicUrl
from courtside.persistence import AvatarStore, Database, EmbeddedPostgres, migrate

from .config import Config, signing_key
from .games import Games, start_games, start_matchmaking
from .in_flight import InFlight
from .request_slots import RequestSlots, SlottedRequests

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Node:
    """A running process: where it listens, and the switch that stops it."""

    http_url: str
    app: Quart
    database: Database
    services: Services
    games: Games
    cluster: ClusterNode
    _shutdown: trio.Event

    def shutdown(self) -> None:
        self._shutdown.set()


@asynccontextmanager
async def database_for(config: Config) -> AsyncIterator[Database]:
    """The configured PostgreSQL, or the embedded one, migrated and pooled."""
    async with postgres_for(config) as url, Database.open(url, pool_size=config.db_pool_size) as db:
        await migrate(db)
        yield db


@asynccontextmanager
async def postgres_for(config: Config) -> AsyncIterator[str]:
    """The configured PostgreSQL's URL, or the embedded one's, started for the block."""
    if config.database_url is not None:
        log.info("database: %s", _without_password(config.database_url))
        yield config.database_url
        return
    embedded = EmbeddedPostgres(config.data_dir / "postgres")
    await trio.to_thread.run_sync(embedded.start)
    try:
        log.info("database: embedded PostgreSQL in %s", embedded.data_dir)
        yield embedded.url()
    finally:
        with trio.CancelScope(shield=True):
            await trio.to_thread.run_sync(embedded.stop)


async def run_node(
    config: Config,
    *,
    http_fd: int | None = None,
    task_status: trio.TaskStatus[Node] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run until ``Node.shutdown()``; ``task_status.started`` once it serves.

    ``http_fd``: a listening socket to serve HTTP on (a worker's, shared with the
    other workers, docs/WORKERS.md) instead of binding ``host:port``.
    """
    async with database_for(config) as database, trio.open_nursery() as actors_nursery:
        registry = Registry()
        supervisor = Supervisor(registry=registry)
        await actors_nursery.start(supervisor.run)
        sockets = OpenSockets()
        secret_key = await signing_key(config, database)
        tokens = TokenSigner(secret_key)
        games: Games | None = None
        cluster = ClusterNode(
            database, registry,
            # Matches this node hosts, playing or waiting for their players: what placement weighs.
            load=lambda: (supervisor.live_by_kind().get("match", 0), len(sockets)),
        )
        engagements, bus = cluster.engagements, cluster.bus
        metrics = Metrics(
            actors_by_kind=supervisor.live_by_kind,
            mailbox_depth_by_kind=registry.depth_by_kind,
            db_connections_in_use=lambda: database.connections_in_use,
            db_pool_size=lambda: database.pool_size,
            open_sockets=lambda: len(sockets),
            live_matches=lambda: len(games.shard) if games else 0,
            game_sockets=lambda: games.game_port.open_sockets if games else 0,
        )
        metrics.count_restarts(lambda: supervisor.restarts_by_kind)
        per_ip = ConnectionsPerIp(config.max_connections_per_ip)
        metrics.count_refused_connections(lambda: per_ip.refused)
        request_slots = RequestSlots()
        metrics.watch_request_slots(held=lambda: request_slots.held, waiting=lambda: request_slots.waiting)
        metrics.watch_cluster(live_nodes=lambda: len(cluster.membership.live),
                              node_id=lambda: cluster.node_id, events_lost=lambda: cluster.stream.lost)
        # Lobbies follow presence: a member away from the whole cluster leaves after a grace.
        await supervisor.start(
            functools.partial(AwayFromLobbies, engagements=engagements, bus=bus,
                              grace_seconds=config.lobby_presence_grace_seconds),
            name=AWAY_FROM_LOBBIES, restart=Restart.ON_FAILURE,
        )
        cluster.presence.when_offline(functools.partial(tell_lobbies_offline, registry))
        # The inbox keeps what this node publishes (once per event, whatever node delivers it).
        bus.keep_notable(NotificationSink(registry))
        await supervisor.start(
            lambda: NotificationStore(
                database, retention=timedelta(days=config.notification_retention_days)
            ),
            name=NOTIFICATION_STORE,
            restart=Restart.ON_FAILURE,
        )
        stalls = LoopStalls(report_over=config.log_loop_steps_over_ms / 1000)
        await actors_nursery.start(stalls.run)
        metrics.watch_loop(stalls)
        games = await start_games(
            config, actors_nursery, supervisor=supervisor, registry=registry,
            database=database, tokens=tokens, metrics=metrics, bus=bus, engagements=engagements,
            placement=cluster.placement, per_ip=per_ip,
        )
        log.info("serving game sockets on ws://%s:%s", config.host, games.game_port.port)
        await cluster.start(actors_nursery, supervisor, game_url=games.game_url)
        await start_matchmaking(games, supervisor=supervisor, bus=bus, engagements=engagements)
        avatars = AvatarStore(config.data_dir / "media")
        await trio.to_thread.run_sync(avatars.ensure_default)
        render_message = functools.partial(message_instance, avatars=avatars)
        chat_rooms = ChatRooms(
            supervisor=supervisor, database=database, bus=bus, render_message=render_message,
        )
        mailer = Mailer(
            SmtpServer.from_url(config.smtp_url) if config.smtp_url else None,
            config.mail_from, registry=metrics.registry,
        )
        await actors_nursery.start(mailer.run)
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
            live_url=games.game_port.user_channel_url(config.advertised_host),
            live_matches=games.live_matches,
            bus=bus,
            cluster=cluster,
            chat_rooms=chat_rooms,
            world_chat=await WorldChat.start(
                supervisor=supervisor, database=database, bus=bus,
                render_message=render_message,
            ),
            lobbies=Lobbies(
                supervisor=supervisor, engagements=engagements, bus=bus, database=database,
                start_match=games.start_match,
            ),
            tournaments=TournamentDirectory(
                supervisor=supervisor, database=database,
                engagements=engagements, bus=bus, chat_rooms=chat_rooms,
                start_match=games.start_match, ws_url=games.ws_url, avatar_urls=avatars.urls,
                timing=TournamentTiming(round_cap=config.tournament_round_seconds),
            ),
            public_url=PublicUrl(config.public_url),
            mailer=mailer,
            password_resets_by_address=_per_window(
                config.password_resets_per_address, config.password_reset_window_seconds),
            password_resets_by_ip=_per_window(
                config.password_resets_per_ip, config.password_reset_window_seconds),
            oauth=OAuthProviders(map(Provider, config.oauth_providers), secret_key=secret_key),
            sse_heartbeat_seconds=config.sse_heartbeat_seconds,
        )
        bus.take_over("tournament", svc.tournaments.take_over)
        bus.take_over("lobby", svc.lobbies.take_over)
        await svc.tournaments.resume_all()
        invitations = functools.partial(
            Invitations, database=database, chat_rooms=svc.chat_rooms, lobbies=svc.lobbies,
            engagements=engagements, bus=bus, render_message=render_message,
            kickoff=Kickoff(engagements=engagements, bus=bus, start_match=games.start_match),
        )
        await bus.singleton(INVITATIONS, functools.partial(
            supervisor.start, invitations, name=INVITATIONS, restart=Restart.ON_FAILURE, vital=True,
        ))
        app = create_app(svc)
        games.game_port.serve_user_channels(functools.partial(serve_lean_channel, app))
        served = InFlight(SlottedRequests(app, request_slots), per_ip)
        shutdown = trio.Event()
        async with trio.open_nursery() as http_nursery:
            binds = await http_nursery.start(
                functools.partial(
                    hypercorn.trio.serve,
                    served,
                    _hypercorn_config(config, http_fd),
                    shutdown_trigger=shutdown.wait,
                )
            )
            http_url = binds[0]
            svc.public_url.serving_at(http_url)
            log.info("serving HTTP on %s", http_url)
            await cluster.serving_at(http_url)
            task_status.started(Node(http_url, app, database, svc, games, cluster, shutdown))
            await shutdown.wait()
            log.info("shutting down: closing sockets, draining requests and matches")
            drained_by = trio.current_time() + config.shutdown_grace_seconds
            sockets.close_all()
            await games.let_matches_finish(config.shutdown_grace_seconds)
            with trio.move_on_at(drained_by):
                await games.game_port.close_all()
            # Requests under way get the grace; idle keep-alive connections get nothing.
            with trio.move_on_at(drained_by):
                await served.until_idle()
            http_nursery.cancel_scope.cancel()
        await supervisor.shutdown()
        await cluster.leave()
        actors_nursery.cancel_scope.cancel()
    log.info("stopped")


def _failed_logins(config: Config, allowed: int) -> Throttle:
    return _per_window(allowed, config.failed_login_window_seconds)


def _per_window(allowed: int, window_seconds: float) -> Throttle:
    """``allowed`` at once, refilled evenly over ``window_seconds``."""
    return Throttle(burst=allowed, per_second=allowed / window_seconds, clock=trio.current_time)


def _hypercorn_config(config: Config, http_fd: int | None) -> hypercorn.Config:
    hypercorn_websockets.install()  # close frames for the frames wsproto refuses
    hconfig = hypercorn.Config()
    hconfig.bind = [f"{config.host}:{config.port}" if http_fd is None else f"fd://{http_fd}"]
    hconfig.graceful_timeout = config.shutdown_grace_seconds
    hconfig.websocket_max_message_size = session.MAX_MESSAGE_BYTES
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
