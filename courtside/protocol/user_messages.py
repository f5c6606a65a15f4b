"""The user channel's wire format (DESIGN.md §6, §12): `/ws/` messages and SSE frames.

Both transports carry the same events. The WebSocket sends each as
``{"type", "id", "data", "kwargs"}``; an SSE frame carries the id and name in
its own fields and, as data, the payload with its kwargs merged in.

Besides events, the WebSocket takes chat requests (DESIGN.md §9) and answers
``send_message`` itself: ``message_sent`` with the stored MessageInstance, or
``message_refused``; both name the client's ``client_id``. Other refusals come
as ``error {code, detail}``.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from .game_messages import Authenticate, Error, Ping, Pong

MAX_CLIENT_ID_LENGTH = 64
# Rows have bigint ids: a larger number names nothing, and must not reach PostgreSQL.
MAX_ID = 2**63 - 1

RowId = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]
# Printable ASCII: a UUID, a counter, a timestamp, whatever the client keeps.
ClientId = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_CLIENT_ID_LENGTH,
                                       pattern="^[!-~]+$")]


class _ChatRequest(msgspec.Struct, frozen=True, tag_field="type"):
    chat_id: RowId


class MessagesChecked(_ChatRequest, tag="messages_checked"):
    """The client has seen the chat's first ``seen_messages`` messages (the reference's)."""

    seen_messages: Annotated[int, msgspec.Meta(ge=0, le=MAX_ID)]


class Typing(_ChatRequest, tag="typing"):
    pass


class SendMessage(_ChatRequest, tag="send_message"):
    """Sending the same ``client_id`` again never stores a second message."""

    content: str
    client_id: ClientId


class _ChatAnswer(msgspec.Struct, frozen=True, tag_field="type"):
    client_id: str


class MessageSent(_ChatAnswer, tag="message_sent"):
    message: dict[str, Any]  # the MessageInstance, with the id it is stored under


class MessageRefused(_ChatAnswer, tag="message_refused"):
    code: str
    detail: str


ClientMessage = Authenticate | Ping | MessagesChecked | Typing | SendMessage
ServerMessage = Error | Pong | MessageSent | MessageRefused


class EventFrame(msgspec.Struct, frozen=True):
    type: str
    id: int
    data: dict[str, Any]
    kwargs: dict[str, Any]


_decoder = msgspec.json.Decoder(ClientMessage)
_encoder = msgspec.json.Encoder()


def decode_client_message(payload: str | bytes) -> ClientMessage:
    """Parse one client message; raises ``msgspec.DecodeError`` (incl. validation)."""
    return _decoder.decode(payload)


def encode_server_message(message: ServerMessage) -> str:
    return _encoder.encode(message).decode()


def encode_event(event_id: int, name: str, data: dict[str, Any], kwargs: dict[str, Any]) -> str:
    return _encoder.encode(EventFrame(name, event_id, data, kwargs)).decode()


def encode_sse(event_id: int, name: str, data: dict[str, Any], kwargs: dict[str, Any]) -> bytes:
    payload = _encoder.encode({**data, **kwargs})
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (event_id, name.encode(), payload)


SSE_HEARTBEAT = b": heartbeat\n\n"
SSE_RETRY = b"retry: 2000\n\n"
