"""The load client's side of the game socket's wire (RFC 6455 and the game messages).

Client frames must be masked; a paddle update's frame is built once per paddle
position (a tenth of a pixel) and reused, so answering a state costs a dict
lookup. Server frames are read by bench/load_client.py's own minimal parser
(the user-socket clients use ``take_server_frames``); their JSON is decoded by
msgspec into just the fields a player needs. A Colyseus room's frames (binary,
MessagePack) have their own constants and paddle frames here.
"""

from __future__ import annotations

import base64
import os

import msgspec

MASK = os.urandom(4)


def upgrade_request(host: str, port: int, path: str) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    return (f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()


class StateFields(msgspec.Struct):
    """What a player reads of a state: unknown keys are skipped by the decoder."""

    tick: int
    ball_position_y: float
    initiator_score: int = 0
    invited_score: int = 0


class ServerMessage(msgspec.Struct):
    type: str
    state: StateFields | None = None
    reason: str | None = None
    code: str | None = None
    detail: str | None = None


decode_message = msgspec.json.Decoder(ServerMessage).decode


def masked_frame(payload: bytes, opcode: int = 0x1) -> bytes:
    """One masked final frame (client to server), payload under 64 KiB."""
    length = len(payload)
    first = 0x80 | opcode
    header = bytes((first, 0x80 | length)) if length < 126 else bytes((first, 0xFE)) + length.to_bytes(2)
    key = (MASK * ((length + 3) >> 2))[:length]
    return header + MASK + (int.from_bytes(payload) ^ int.from_bytes(key)).to_bytes(length)


def take_server_frames(buffer: bytearray) -> list[tuple[int, bytes]]:
    """The whole (unmasked, unfragmented) server frames at the start of ``buffer``, as
    (opcode, payload), taken out of it; a frame not yet whole stays for the next read."""
    frames, offset = [], 0
    while len(buffer) - offset >= 2:
        length, start = buffer[offset + 1] & 0x7F, offset + 2
        if length == 126:
            if len(buffer) - offset < 4:
                break
            length, start = int.from_bytes(buffer[offset + 2:offset + 4]), offset + 4
        elif length == 127:
            if len(buffer) - offset < 10:
                break
            length, start = int.from_bytes(buffer[offset + 2:offset + 10]), offset + 10
        if len(buffer) < start + length:
            break
        frames.append((buffer[offset] & 0x0F, bytes(buffer[start:start + length])))
        offset = start + length
    del buffer[:offset]
    return frames


def _cached_paddle_frames(build):
    """A paddle frame per ball height: ``build(top)`` once per paddle top (a tenth of a
    pixel), for a paddle whose middle is on the ball."""
    frames: dict[int, bytes] = {}

    def frame(ball_y: float) -> bytes:
        tenths = round((ball_y - 50.0) * 10)
        found = frames.get(tenths)
        if found is None:
            found = frames[tenths] = build(tenths / 10)
        return found

    return frame


paddle_frame = _cached_paddle_frames(
    lambda top: masked_frame(b'{"type":"paddle_position_update","position":%.1f}' % top))

# Colyseus (bench/colyseus/server.mjs): binary room messages, ROOM_DATA (13) then the
# type and the payload, each MessagePack.
COLYSEUS_JOIN_ROOM, COLYSEUS_ERROR, COLYSEUS_ROOM_DATA = 10, 11, 13
COLYSEUS_STATE = bytes((COLYSEUS_ROOM_DATA,)) + msgspec.msgpack.encode("state")
COLYSEUS_JOINED = masked_frame(bytes((COLYSEUS_JOIN_ROOM,)), opcode=0x2)  # the client's acknowledgement
colyseus_paddle_frame = _cached_paddle_frames(
    lambda top: masked_frame(bytes((COLYSEUS_ROOM_DATA,)) + msgspec.msgpack.encode("paddle")
                             + msgspec.msgpack.encode(top), opcode=0x2))
