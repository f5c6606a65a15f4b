"""One session of the user WebSocket (DESIGN.md §6), whatever socket carries it.

The same events as the SSE stream, plus requests from the client. It
authenticates itself: the ``access`` cookie, or a first ``authenticate`` message
within AUTHENTICATE_TIMEOUT. ``?last_event_id=`` replays what a reconnecting
client missed. The session answers the client while its channel carries the
hub's events; whichever decides the socket must close ends both.

Chat over the socket (DESIGN.md §6, §9), client -> server:

- ``{"type": "send_message", "chat_id", "content", "client_id"}``: answered with
  ``{"type": "message_sent", "client_id", "message": MessageInstance}`` once the
  message is stored (its ``id`` is the stored id), or ``{"type":
  "message_refused", "client_id", "code", "detail"}``. Sending the same
  client_id again answers ``message_sent`` with the message stored the first time.
- ``{"type": "messages_checked", "chat_id", "seen_messages"}``: the chat's first
  seen_messages messages are read; the user's channels get ``unread_messages``.
- ``{"type": "typing", "chat_id"}``: the other members get ``typing``.

Requests are answered in the order they came, so a client's messages are stored
in the order it sent them. A refused read or typing comes back as ``error``.

Two sockets carry it (docs/LIVE_CHANNEL.md): ``user_socket`` on the HTTP port
(hypercorn's WebSocket), and ``lean_channel`` on the game port, whose writes
never wait. Each is a ``Channel``.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Protocol

import trio

from courtside.actors import (
    HUB_STOPPED,
    ActorGone,
    Connection,
    InvalidContent,
    TooManyConnections,
    clean_content,
)
from courtside.persistence import User
from courtside.protocol import ApiError, CloseCode
from courtside.protocol.game_messages import Authenticate, Error, Ping, Pong
from courtside.protocol.user_messages import (
    ClientMessage,
    MessageRefused,
    MessagesChecked,
    MessageSent,
    SendMessage,
    ServerMessage,
    Typing,
)

from ..auth.identity import verified_user
from ..chat import message_instance, post_to_world
from ..services import services
from .events import parse_event_id

AUTHENTICATE_TIMEOUT = 5.0
# Chat messages are at most 2000 characters; with their envelope this is ample.
MAX_MESSAGE_BYTES = 16 * 1024


class Closing(Exception):
    """The socket must close with this code and reason (or has closed: then the
    close is a no-op)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason


class Channel(Protocol):
    """What a session needs of the socket under it."""

    cookie_token: str | None  # the ``access`` cookie of the upgrade request
    last_event_id: str | None  # its ``last_event_id`` query parameter

    async def receive(self) -> ClientMessage:
        """The next admitted, well-formed message (a malformed one is answered with
        an error frame here); Closing when the socket must close or has."""

    async def send(self, message: ServerMessage) -> None: ...

    async def carry(
        self, connection: Connection, answering: Awaitable[tuple[int, str]]
    ) -> tuple[int, str]:
        """Write the connection's replay, then its events, while ``answering`` answers
        the client; once either ends (the hub's connection, or the client's side),
        how to close."""

    async def close(self, code: int, reason: str) -> None: ...


async def serve(channel: Channel) -> None:
    """Serve one user socket until it closes, then close it with the code that ended it."""
    try:
        code, reason = await _session(channel)
    except Closing as closing:
        code, reason = closing.code, closing.reason
    await channel.close(code, reason)


async def _session(channel: Channel) -> tuple[int, str]:
    user = await _authenticate(channel)
    if user is None:
        return CloseCode.NOT_AUTHENTICATED, "not authenticated"
    try:
        last_event_id = parse_event_id(channel.last_event_id)
    except ValueError:
        return CloseCode.POLICY_VIOLATION, "last_event_id must be an event id"
    svc = services()
    try:
        async with svc.bus.connect(user.id, last_event_id) as connection:
            return await channel.carry(connection, _answer(channel, user))
    except TooManyConnections:
        return CloseCode.POLICY_VIOLATION, "too many connections"
    except ActorGone:  # the hub restarts: the client reconnects to its successor
        return CloseCode.INTERNAL_ERROR, HUB_STOPPED


async def _authenticate(channel: Channel) -> User | None:
    token = channel.cookie_token
    if token is None:
        with trio.move_on_after(AUTHENTICATE_TIMEOUT):
            first = await channel.receive()
            if isinstance(first, Authenticate):
                token = first.token
    if token is None:
        return None
    svc = services()
    try:
        return await verified_user(svc.tokens, svc.database, token)
    except ApiError:
        return None


async def _answer(channel: Channel, user: User) -> tuple[int, str]:
    while True:
        match await channel.receive():
            case Ping(t):
                await channel.send(Pong(t))
            case Authenticate():
                await channel.send(
                    Error("already_authenticated", "This socket is authenticated already.")
                )
            case SendMessage() as request:
                await channel.send(await _send_message(user, request))
            case MessagesChecked(chat_id, seen_messages):
                await _chat_request(
                    channel, services().chat_rooms.checked(chat_id, user.id, seen_messages)
                )
            case Typing(chat_id):
                await _chat_request(channel, services().chat_rooms.typing(chat_id, user.id))


async def _send_message(user: User, request: SendMessage) -> ServerMessage:
    svc = services()
    try:
        content = clean_content(request.content)
        if request.chat_id == svc.world_chat.chat_id:
            posted = await post_to_world(user, content, request.client_id)
        else:
            posted = await svc.chat_rooms.post(request.chat_id, user.id, content, request.client_id)
    except InvalidContent as invalid:
        return MessageRefused(request.client_id, "invalid", str(invalid))
    except ApiError as refusal:
        return MessageRefused(request.client_id, refusal.code, refusal.detail)
    return MessageSent(request.client_id, message_instance(posted.message, svc.avatars))


async def _chat_request(channel: Channel, request: Awaitable[object]) -> None:
    """Run a chat request whose success the client hears as events; a refusal as ``error``."""
    try:
        await request
    except ApiError as refusal:
        await channel.send(Error(refusal.code, refusal.detail))
