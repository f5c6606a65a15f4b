"""The actor runtime: inboxes and handles, request/reply, supervisors, the registry."""

from courtside.actors.bus import Bus, UserEvent
from courtside.actors.engagements import Busy, Engagements
from courtside.actors.handle import (
    ActorGone,
    Handle,
    Inbox,
    MailboxFull,
    MailboxOverflow,
    Overflow,
    Reply,
    RequestTimeout,
)
from courtside.actors.registry import Entry, NameTaken, Registry, kind_of
from courtside.actors.supervisor import Actor, Backoff, Intensity, OnExit, Restart, Supervisor
from courtside.actors.tick_shard import TickShard

__all__ = [
    "Actor",
    "ActorGone",
    "Backoff",
    "Bus",
    "Busy",
    "Engagements",
    "Entry",
    "Handle",
    "Inbox",
    "Intensity",
    "MailboxFull",
    "MailboxOverflow",
    "NameTaken",
    "OnExit",
    "Overflow",
    "Registry",
    "Reply",
    "RequestTimeout",
    "Restart",
    "Supervisor",
    "TickShard",
    "UserEvent",
    "kind_of",
]
