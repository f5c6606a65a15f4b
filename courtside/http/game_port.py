"""The game port: ``/ws/game/<code>/`` on its own listener (DESIGN.md §6, §13),
and the user socket ``/ws/`` beside it (docs/LIVE_CHANNEL.md).

Plain non-blocking sockets driven with ``trio.lowlevel.wait_readable`` /
``wait_writable``; wsproto performs the HTTP upgrade, then our own frame codec
takes over. Each connection has one handler task (upgrade, authentication,
joining the match, reading until the match plays), and a flusher while a write
backlog waits. While a match plays, the tick shard reads its
players' sockets itself. A user socket's session is the HTTP port's, handed
to ``serve_user_channels``' handler.
"""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Awaitable, Callable, Sequence
from http.cookies import CookieError, SimpleCookie
from typing import NamedTuple
from urllib.parse import parse_qs

import trio
from wsproto import ConnectionType
from wsproto.events import AcceptConnection, RejectConnection, Request
from wsproto.handshake import H11Handshake
from wsproto.utilities import LocalProtocolError, RemoteProtocolError

from courtside.actors import (
    ActorGone,
    Gone,
    Handle,
    Join,
    JoinRefused,
    Leave,
    MailboxFull,
    Ready,
    Registry,
)
from courtside.persistence import Database
from courtside.protocol import ApiError, CloseCode
from courtside.protocol.game_messages import (
    MSGPACK_SUBPROTOCOL,
    Authenticate,
    Ping,
    Pong,
    ReportLeft,
    ReportReady,
    WireFormat,
)

from .auth.identity import verified_user
from .auth.tokens import TokenSigner
from .connection_limits import ConnectionsPerIp
from .lean_socket import ConnectionClosed, LeanSocket
from .sockets import SHUTTING_DOWN
from .live.lean_channel import user_lean_socket

log = logging.getLogger(__name__)

GAME_PATH = re.compile(r"^/ws/game/([A-Za-z0-9_-]{1,32})/?$")
USER_PATH = "/ws/"
HANDSHAKE_TIMEOUT = 5.0
AUTHENTICATE_TIMEOUT = 5.0
JOIN_TIMEOUT = 5.0
MAX_HANDSHAKE_BYTES = 16 * 1024
BACKLOG = 1024
# The kernel's share of a socket's unsent bytes (Linux doubles it): a few seconds of
# states. Left to autotuning it grows to megabytes, so a client that stops reading
# would be noticed, and closed as a slow consumer, only minutes later.
KERNEL_SEND_BUFFER = 16 * 1024


class Upgrade(NamedTuple):
    """What the upgrade request asked for."""

    match_code: str | None  # None: the user socket
    wire: WireFormat
    cookie_token: str | None
    last_event_id: str | None


# Serves one user socket: the socket, its access cookie and last_event_id.
UserChannels = Callable[[LeanSocket, str | None, str | None], Awaitable[None]]


class GamePort:
    """Accepts game sockets and seats them in their match actors."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        registry: Registry,
        database: Database,
        tokens: TokenSigner,
        locate: Callable[[str], Awaitable[str | None]],
        per_ip: ConnectionsPerIp,
    ) -> None:
        """``locate`` answers the ws_url of a match another node hosts (a client on the
        wrong node is closed with 4307 and told where to go)."""
        self._address = (host, port)
        self._per_ip = per_ip
        self._registry = registry
        self._locate = locate
        self._database = database
        self._tokens = tokens
        self.port = port
        self.open_sockets = 0
        self._connections: set[LeanSocket] = set()
        self._user_channels: UserChannels | None = None
        # Made by close_all (from then on new sockets are closed at once), set once the
        # sockets it closed are done.
        self._drained: trio.Event | None = None

    def ws_url(self, host: str, code: str) -> str:
        return f"ws://{host}:{self.port}/ws/game/{code}/"

    def user_channel_url(self, host: str) -> str:
        return f"ws://{host}:{self.port}{USER_PATH}"

    def serve_user_channels(self, serve: UserChannels) -> None:
        """From now on ``/ws/`` is answered too: ``serve`` runs each session."""
        self._user_channels = serve

    async def run(self, *, task_status: trio.TaskStatus[int] = trio.TASK_STATUS_IGNORED) -> None:
        listener = socket.create_server(self._address, backlog=BACKLOG, reuse_port=False)
        listener.setblocking(False)
        self.port = listener.getsockname()[1]
        try:
            async with trio.open_nursery() as nursery:
                task_status.started(self.port)
                while True:
                    await trio.lowlevel.wait_readable(listener)
                    try:
                        sock, (ip, *_) = listener.accept()
                    except (BlockingIOError, ConnectionAbortedError):
                        continue
                    sock.setblocking(False)
                    if not self._per_ip.take(ip):
                        _send_all_nowait(sock, handshake_rejection(429))
                        sock.close()
                        continue
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, KERNEL_SEND_BUFFER)
                    nursery.start_soon(self._serve, sock, ip)
        finally:
            trio.lowlevel.notify_closing(listener)
            listener.close()

    async def close_all(self, code: int = CloseCode.GOING_AWAY) -> None:
        """Shutdown: every open socket is told 1001; returns once their sessions
        ended (a user session leaves the hub and presence, which stop next)."""
        self._drained = trio.Event()
        for connection in list(self._connections):
            connection.close(code, SHUTTING_DOWN)
        if self._connections:
            await self._drained.wait()

    async def _serve(self, sock: socket.socket, ip: str) -> None:
        self.open_sockets += 1
        try:
            upgrade = None  # stays None if the handshake never finishes
            with trio.move_on_after(HANDSHAKE_TIMEOUT):
                upgrade = await _upgrade(sock, serves_users=self._user_channels is not None)
            if upgrade is None:  # timed out, or refused at the HTTP level
                return
            if upgrade.match_code is None:
                connection = user_lean_socket(sock)
            else:
                connection = LeanSocket(sock, wire=upgrade.wire)
            if self._drained is not None:  # shutting down: a socket that comes now just closes
                connection.close(CloseCode.GOING_AWAY, SHUTTING_DOWN)
            else:
                await self._run(connection, upgrade)
            with trio.CancelScope(shield=True):
                await connection.linger_and_release()
        finally:
            self.open_sockets -= 1
            self._per_ip.give_back(ip)
            if sock.fileno() != -1:
                trio.lowlevel.notify_closing(sock)
                sock.close()

    async def _run(self, connection: LeanSocket, upgrade: Upgrade) -> None:
        """The socket's session, with a flusher beside it while a backlog waits."""
        self._connections.add(connection)
        try:
            async with trio.open_nursery() as nursery:
                connection.flush_in(nursery)
                if upgrade.match_code is None:
                    await self._user_channels(
                        connection, upgrade.cookie_token, upgrade.last_event_id)
                else:
                    await self._session(connection, upgrade.match_code, upgrade.cookie_token)
                nursery.cancel_scope.cancel()
        except Exception:
            # One connection's failure must never reach the listener.
            log.exception("game socket failed")
            connection.close(CloseCode.INTERNAL_ERROR, "internal error")
        finally:
            self._connections.discard(connection)
            if self._drained is not None and not self._connections:
                self._drained.set()

    async def _session(self, connection: LeanSocket, code: str, cookie_token: str | None) -> None:
        user_id = await self._authenticate(connection, cookie_token)
        if user_id is None:
            connection.close(CloseCode.NOT_AUTHENTICATED, "not authenticated")
            return
        connection.user_id = user_id
        actor = self._registry.lookup(f"match:{code}")
        if actor is None:
            elsewhere = await self._locate(code)
            if elsewhere is not None:
                connection.close(CloseCode.MOVED, elsewhere)
            else:
                connection.close(CloseCode.NOT_FOUND, "no such match")
            return
        try:
            welcome = await actor.request(lambda reply: Join(connection, reply), timeout=JOIN_TIMEOUT)
        except JoinRefused as refused:
            connection.close(refused.close_code, refused.reason)
            return
        except (ActorGone, MailboxFull, TimeoutError):
            connection.close(CloseCode.NOT_FOUND, "no such match")
            return
        connection.send(welcome)
        try:
            with connection.reading_scope():
                await self._read_until_handed_over(connection, actor, welcome.role == "player")
            await connection.wait_closed()
        finally:
            try:
                actor.send_nowait(Gone(connection))
            except (ActorGone, MailboxFull):
                pass

    async def _read_until_handed_over(
        self, connection: LeanSocket, actor: Handle, is_player: bool
    ) -> None:
        """Before the match plays (and always, for spectators) this task reads.

        A player tells the match once that it is ready and once that it leaves,
        however often the client says so: the match's inbox never floods.
        """
        told_ready = False
        try:
            while True:
                message = await connection.receive()
                if isinstance(message, Ping):
                    connection.send(Pong(t=message.t))
                elif is_player and isinstance(message, ReportReady) and not told_ready:
                    told_ready = True
                    actor.send_nowait(Ready(connection.user_id))
                elif is_player and isinstance(message, ReportLeft):
                    actor.send_nowait(Leave(connection.user_id))
                    return
        except (ConnectionClosed, ActorGone, MailboxFull):
            return

    async def _authenticate(self, connection: LeanSocket, cookie_token: str | None) -> int | None:
        token = cookie_token
        if token is None:
            with trio.move_on_after(AUTHENTICATE_TIMEOUT):
                try:
                    first = await connection.receive()
                except ConnectionClosed:
                    return None
                if isinstance(first, Authenticate):
                    token = first.token
        if token is None:
            return None
        try:
            return (await verified_user(self._tokens, self._database, token)).id
        except ApiError:
            return None


async def _upgrade(sock: socket.socket, *, serves_users: bool) -> Upgrade | None:
    """Perform the HTTP upgrade of a game socket, or of a user socket if ``serves_users``."""
    handshake = H11Handshake(ConnectionType.SERVER)
    received = 0
    while True:
        await trio.lowlevel.wait_readable(sock)
        try:
            data = sock.recv(4096)
        except BlockingIOError:
            continue
        except OSError:
            return None
        received += len(data)
        if not data or received > MAX_HANDSHAKE_BYTES:
            return None
        try:
            handshake.receive_data(data)
            for event in handshake.events():
                if isinstance(event, Request):
                    return _accept(sock, handshake, event, serves_users)
        except (RemoteProtocolError, LocalProtocolError):
            _send_all_nowait(sock, handshake_rejection(400))
            return None


def _accept(
    sock: socket.socket, handshake: H11Handshake, request: Request, serves_users: bool
) -> Upgrade | None:
    path, _, query = request.target.partition("?")
    found = GAME_PATH.match(path)
    if found is None and not (serves_users and path == USER_PATH):
        _send_all_nowait(sock, handshake.send(RejectConnection(status_code=404)))
        return None
    # The user socket speaks JSON only; a game socket MessagePack when asked.
    wants_msgpack = found is not None and MSGPACK_SUBPROTOCOL in request.subprotocols
    _send_all_nowait(sock, handshake.send(
        AcceptConnection(subprotocol=MSGPACK_SUBPROTOCOL if wants_msgpack else None)
    ))
    last_event_id = parse_qs(query).get("last_event_id", [None])[0]
    return Upgrade(
        match_code=found.group(1) if found else None,
        wire=WireFormat.MSGPACK if wants_msgpack else WireFormat.JSON,
        cookie_token=_access_cookie(request.extra_headers),
        last_event_id=last_event_id,
    )


def _access_cookie(headers: Sequence[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name.lower() == b"cookie":
            try:
                cookie = SimpleCookie(value.decode("latin-1"))
            except CookieError:
                return None
            if "access" in cookie:
                return cookie["access"].value
    return None


_REASONS = {400: "Bad Request", 429: "Too Many Requests"}


def handshake_rejection(status: int) -> bytes:
    return (f"HTTP/1.1 {status} {_REASONS[status]}\r\ncontent-length: 0\r\n"
            "connection: close\r\n\r\n").encode()


def _send_all_nowait(sock: socket.socket, data: bytes) -> None:
    """Handshake responses are small: the kernel's send buffer always takes them."""
    try:
        sock.sendall(data)
    except OSError:
        pass
