"""The user channel's wire format (DESIGN.md §6, §12): `/ws/` messages and SSE frames.

Both transports carry the same events. The WebSocket sends each as
``{"type", "id", "data", "kwargs"}``; an SSE frame carries the id and name in
its own fields and, as data, the payload with its kwargs merged in.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from .game_messages import Authenticate, Error, Ping, Pong

MAX_CLIENT_ID_LENGTH = 64

ClientId = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_CLIENT_ID_LENGTH)]

# Chat (DESIGN.md §9) adds messages_checked, typing and send_message here.
ClientMessage = Authenticate | Ping
ServerMessage = Error | Pong


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
