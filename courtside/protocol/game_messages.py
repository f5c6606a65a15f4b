"""The game WebSocket's messages (DESIGN.md §6), declared once for both wire formats.

JSON text frames by default; MessagePack binary frames when the client asks for
the ``courtside.msgpack`` subprotocol. The shapes are the same in both.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Literal

import msgspec

from .frames import encode_binary, encode_text

MSGPACK_SUBPROTOCOL = "courtside.msgpack"


class WireFormat(enum.Enum):
    JSON = "json"
    MSGPACK = "msgpack"


class _ClientMessage(msgspec.Struct, frozen=True, tag_field="type"):
    pass


class Authenticate(_ClientMessage, tag="authenticate"):
    token: str


class ReportReady(_ClientMessage, tag="report_ready"):
    pass


class PaddlePositionUpdate(_ClientMessage, tag="paddle_position_update"):
    position: float


class ReportLeft(_ClientMessage, tag="report_left"):
    pass


class Ping(_ClientMessage, tag="ping"):
    t: float | None = None


ClientMessage = Authenticate | ReportReady | PaddlePositionUpdate | ReportLeft | Ping


class _ServerMessage(msgspec.Struct, frozen=True, tag_field="type", omit_defaults=True):
    pass


class Seat(msgspec.Struct, frozen=True):
    user_id: int
    team: Literal["a", "b"]
    slot: int


class MatchConfig(msgspec.Struct, frozen=True):
    mode: str
    score_to_win: int
    tick_rate: int
    broadcast_rate: int
    grace_seconds: float


class Welcome(_ServerMessage, tag="welcome"):
    role: Literal["player", "spectator"]
    side: Literal["a", "b"] | None
    players: list[Seat]
    config: MatchConfig


class GameStarts(_ServerMessage, tag="game_starts"):
    start_tick: int


class Paddle(msgspec.Struct, frozen=True):
    user_id: int
    team: Literal["a", "b"]
    y: float


class MatchState(msgspec.Struct, frozen=True, omit_defaults=True):
    """Exactly the reference 1v1 keys plus ``tick``; 3v3 adds ``paddles``; tournament
    matches add the time left in the round."""

    initiator_id: int
    invited_id: int
    initiator_score: int
    invited_score: int
    initiator_paddle_y: float
    invited_paddle_y: float
    ball_position_x: float
    ball_position_y: float
    ball_direction_x: float
    ball_direction_y: float
    tournament: bool
    tick: int
    paddles: list[Paddle] | msgspec.UnsetType = msgspec.UNSET
    minutes_left: int | msgspec.UnsetType = msgspec.UNSET
    seconds_left: int | msgspec.UnsetType = msgspec.UNSET


class GameStateUpdate(_ServerMessage, tag="game_state_update"):
    state: MatchState


class OpponentDisconnected(_ServerMessage, tag="opponent_disconnected"):
    grace_seconds: float


class OpponentReconnected(_ServerMessage, tag="opponent_reconnected"):
    pass


EndReason = Literal["score", "forfeit", "disconnect", "timeout", "aborted"]


class GameEnded(_ServerMessage, tag="game_ended"):
    initiator_score: int
    invited_score: int
    winner_id: int | None
    reason: EndReason
    initiator_id: int
    invited_id: int


class Error(_ServerMessage, tag="error"):
    code: str
    detail: str


class Pong(_ServerMessage, tag="pong"):
    t: float | None = None


ServerMessage = (
    Welcome | GameStarts | GameStateUpdate | OpponentDisconnected | OpponentReconnected
    | GameEnded | Error | Pong
)

_json_decoder = msgspec.json.Decoder(ClientMessage)
_msgpack_decoder = msgspec.msgpack.Decoder(ClientMessage)
_json_encoder = msgspec.json.Encoder()
_msgpack_encoder = msgspec.msgpack.Encoder()


def client_message_decoder(wire: WireFormat) -> Callable[[bytes | str], ClientMessage]:
    """Parses one client message; raises ``msgspec.DecodeError`` (incl. validation)."""
    return _json_decoder.decode if wire is WireFormat.JSON else _msgpack_decoder.decode


def encode_server_message(message: ServerMessage, wire: WireFormat) -> bytes:
    if wire is WireFormat.JSON:
        return _json_encoder.encode(message)
    return _msgpack_encoder.encode(message)


class Frames:
    """One server message as ready-to-write WebSocket frames, per wire format.

    Built once per broadcast and shared by every recipient; each format is
    encoded the first time a recipient asks for it, so a match whose clients
    all speak JSON never pays for MessagePack.
    """

    __slots__ = ("_message", "_json", "_msgpack")

    def __init__(self, message: ServerMessage) -> None:
        self._message = message
        self._json: bytes | None = None
        self._msgpack: bytes | None = None

    def for_wire(self, wire: WireFormat) -> bytes:
        if wire is WireFormat.JSON:
            if self._json is None:
                self._json = encode_text(_json_encoder.encode(self._message))
            return self._json
        if self._msgpack is None:
            self._msgpack = encode_binary(_msgpack_encoder.encode(self._message))
        return self._msgpack

