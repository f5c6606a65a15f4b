"""`/ws/`: the user WebSocket on the HTTP port (DESIGN.md §6).

The same events as the SSE stream, plus requests from the client. It
authenticates itself (WebSocket routes pass no before_request hook): the
``access`` cookie, or a first ``authenticate`` message within
AUTHENTICATE_TIMEOUT. ``?last_event_id=`` replays what a reconnecting client
missed. Two tasks serve it: one forwards the hub's events, one answers the
client; whichever decides the socket must close ends both.

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
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable

import msgspec
import trio
from quart import Blueprint, websocket

from courtside.actors import Connection, TooManyConnections
from courtside.persistence import User
from courtside.protocol import ApiError, CloseCode
from courtside.protocol.admission import Admission, Verdict
from courtside.protocol.game_messages import Authenticate, Error, Ping, Pong
from courtside.protocol.user_messages import (
    MessageRefused,
    MessagesChecked,
    MessageSent,
    SendMessage,
    ServerMessage,
    Typing,
    decode_client_message,
    encode_server_message,
)

from courtside.actors import InvalidContent, clean_content

from ..auth.identity import public, verified_user
from ..chat import message_instance, post_to_world
from ..services import services
from ..sockets import close_websocket
from .events import ACCOUNT_DELETED, close_for, parse_event_id

blueprint = Blueprint("user_socket", __name__)

AUTHENTICATE_TIMEOUT = 5.0
# Chat messages are at most 2000 characters; with their envelope this is ample.
MAX_MESSAGE_BYTES = 16 * 1024

End = Callable[[int, str], None]


@blueprint.websocket("/ws/")
@public  # it authenticates itself, by cookie or a first message
async def user_socket() -> None:
    await services().sockets.serve(_session)


async def _session() -> None:
    await websocket.accept()
    user = await _authenticate()
    if user is None:
        await close_websocket(CloseCode.NOT_AUTHENTICATED, "not authenticated")
        return
    try:
        last_event_id = parse_event_id(websocket.args.get("last_event_id"))
    except ValueError:
        await close_websocket(CloseCode.POLICY_VIOLATION, "last_event_id must be an event id")
        return
    ending: list[tuple[int, str]] = []
    async with contextlib.AsyncExitStack() as stack:
        try:
            connection = await stack.enter_async_context(
                services().bus.connect(user.id, last_event_id)
            )
        except TooManyConnections:
            ending.append((CloseCode.POLICY_VIOLATION, "too many connections"))
        else:
            async with trio.open_nursery() as nursery:
                def end(code: int, reason: str) -> None:
                    ending.append((code, reason))
                    nursery.cancel_scope.cancel()

                nursery.start_soon(_forward_events, connection, end)
                nursery.start_soon(_answer_client, user, end)
    await close_websocket(*ending[0])


async def _authenticate() -> User | None:
    token = websocket.cookies.get("access")
    if token is None:
        with trio.move_on_after(AUTHENTICATE_TIMEOUT):
            try:
                first = decode_client_message(await _receive())
            except msgspec.DecodeError:
                return None
            if isinstance(first, Authenticate):
                token = first.token
    if token is None:
        return None
    svc = services()
    try:
        return await verified_user(svc.tokens, svc.database, token)
    except ApiError:
        return None


async def _receive() -> str | bytes:
    # Quart hands an empty binary message over as None (``bytes or text``).
    payload = await websocket.receive()
    return b"" if payload is None else payload


async def _forward_events(connection: Connection, end: End) -> None:
    for event in connection.replay:
        await websocket.send(event.socket_frame)
    async for event in connection.events:
        await websocket.send(event.socket_frame)
        if event.name == ACCOUNT_DELETED:
            end(CloseCode.NORMAL, "account deleted")
            return
    end(*close_for(connection))


async def _answer_client(user: User, end: End) -> None:
    admission = Admission(trio.current_time)
    while True:
        payload = await _receive()
        verdict = admission.admit()
        if verdict is Verdict.CLOSE:
            end(*Admission.RATE_LIMITED)
            return
        if verdict is Verdict.DROP:
            continue
        try:
            message = decode_client_message(payload)
        except msgspec.DecodeError as error:
            if admission.malformed():
                end(*Admission.TOO_MANY_MALFORMED)
                return
            await websocket.send(encode_server_message(Error("malformed_message", str(error))))
            continue
        match message:
            case Ping(t):
                await websocket.send(encode_server_message(Pong(t)))
            case Authenticate():
                await websocket.send(encode_server_message(
                    Error("already_authenticated", "This socket is authenticated already.")
                ))
            case SendMessage():
                await websocket.send(encode_server_message(await _send_message(user, message)))
            case MessagesChecked(chat_id, seen_messages):
                await _chat_request(services().chat_rooms.checked(chat_id, user.id, seen_messages))
            case Typing(chat_id):
                await _chat_request(services().chat_rooms.typing(chat_id, user.id))


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


async def _chat_request(request: Awaitable[object]) -> None:
    """Run a chat request whose success the client hears as events; a refusal as ``error``."""
    try:
        await request
    except ApiError as refusal:
        await websocket.send(encode_server_message(Error(refusal.code, refusal.detail)))
