"""What both transports of the user channel share."""

from __future__ import annotations

from courtside.actors import HUB_STOPPED, SESSIONS_ENDED, SLOW_CONSUMER, Connection
from courtside.protocol import CloseCode

# The account is gone: its other sessions are told, then closed.
ACCOUNT_DELETED = "user-delete"


def parse_event_id(value: str | None) -> int | None:
    """A client's last seen event id (Last-Event-ID); ValueError if it is not one."""
    if value is None or value == "":
        return None
    event_id = int(value)
    if event_id < 0:
        raise ValueError(value)
    return event_id


def close_for(connection: Connection) -> tuple[int, str]:
    """How to close a socket whose hub connection was ended by the hub."""
    if connection.cut_off == SLOW_CONSUMER:
        return CloseCode.POLICY_VIOLATION, SLOW_CONSUMER
    if connection.cut_off == SESSIONS_ENDED:
        return CloseCode.NOT_AUTHENTICATED, SESSIONS_ENDED
    if connection.cut_off == HUB_STOPPED:
        return CloseCode.INTERNAL_ERROR, HUB_STOPPED
    return CloseCode.GOING_AWAY, connection.cut_off or ""
