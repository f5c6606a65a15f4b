"""The game port: ``/ws/game/<code>/`` on its own listener (DESIGN.md §6, §13).

Plain non-blocking sockets driven with ``trio.lowlevel.wait_readable`` /
``wait_writable``; wsproto performs the HTTP upgrade, then our own frame codec
takes over. Each connection has one handler task (upgrade, authentication,
joining the match, reading until the match plays) and a flusher that sleeps
until a write backlog appears. While a match plays, the tick shard reads its
players' sockets itself.
"""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Awaitable, Callable, Sequence
from http.cookies import CookieError, SimpleCookie

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

log = logging.getLogger(__name__)

GAME_PATH = re.compile(r"^/ws/game/([A-Za-z0-9_-]{1,32})/?$")
HANDSHAKE_TIMEOUT = 5.0
AUTHENTICATE_TIMEOUT = 5.0
JOIN_TIMEOUT = 5.0
MAX_HANDSHAKE_BYTES = 16 * 1024
BACKLOG = 1024
# The kernel's share of a socket's unsent bytes (Linux doubles it): a few seconds of
# states. Left to autotuning it grows to megabytes, so a client that stops reading
# would be noticed, and closed as a slow consumer, only minutes later.
KERNEL_SEND_BUFFER = 16 * 1024


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

    def ws_url(self, host: str, code: str) -> str:
        return f"ws://{host}:{self.port}/ws/game/{code}/"

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

    def close_all(self, code: int = CloseCode.GOING_AWAY) -> None:
        """Shutdown: every open game socket is told 1001."""
        for connection in list(self._connections):
            connection.close(code, "server shutting down")

    async def _serve(self, sock: socket.socket, ip: str) -> None:
        self.open_sockets += 1
        try:
            upgrade = None  # stays None if the handshake never finishes
            with trio.move_on_after(HANDSHAKE_TIMEOUT):
                upgrade = await _upgrade(sock)
            if upgrade is None:  # timed out, or refused at the HTTP level
                return
            code, wire, cookie_token = upgrade
            connection = LeanSocket(sock, wire=wire)
            self._connections.add(connection)
            try:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(connection.flush_backlog)
                    await self._session(connection, code, cookie_token)
                    nursery.cancel_scope.cancel()
            except Exception:
                # One connection's failure must never reach the listener.
                log.exception("game socket failed")
                connection.close(CloseCode.INTERNAL_ERROR, "internal error")
            finally:
                self._connections.discard(connection)
            with trio.CancelScope(shield=True):
                await connection.linger_and_release()
            return
        finally:
            self.open_sockets -= 1
            self._per_ip.give_back(ip)
            if sock.fileno() != -1:
                trio.lowlevel.notify_closing(sock)
                sock.close()

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


async def _upgrade(sock: socket.socket) -> tuple[str, WireFormat, str | None] | None:
    """Perform the HTTP upgrade; returns (match code, wire format, access cookie)."""
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
                    return _accept(sock, handshake, event)
        except (RemoteProtocolError, LocalProtocolError):
            _send_all_nowait(sock, handshake_rejection(400))
            return None


def _accept(
    sock: socket.socket, handshake: H11Handshake, request: Request
) -> tuple[str, WireFormat, str | None] | None:
    path = request.target.split("?", 1)[0]
    found = GAME_PATH.match(path)
    if found is None:
        _send_all_nowait(sock, handshake.send(RejectConnection(status_code=404)))
        return None
    wants_msgpack = MSGPACK_SUBPROTOCOL in request.subprotocols
    _send_all_nowait(sock, handshake.send(
        AcceptConnection(subprotocol=MSGPACK_SUBPROTOCOL if wants_msgpack else None)
    ))
    wire = WireFormat.MSGPACK if wants_msgpack else WireFormat.JSON
    return found.group(1), wire, _access_cookie(request.extra_headers)


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
