"""WebSocket close codes Courtside uses (DESIGN.md §6)."""

from enum import IntEnum


class CloseCode(IntEnum):
    NORMAL = 1000
    GOING_AWAY = 1001  # server shutting down
    PROTOCOL_ERROR = 1002
    INVALID_PAYLOAD = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    INTERNAL_ERROR = 1011
    MOVED = 4307  # the match plays on another node: the close reason is its ws_url
    NOT_AUTHENTICATED = 4401
    FORBIDDEN = 4403
    NOT_FOUND = 4404
    REPLACED = 4409  # a newer connection of the same user took over
    RATE_LIMITED = 4429
