"""The actor runtime: inboxes and handles, request/reply, supervisors, the registry."""

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

__all__ = [
    "Actor",
    "ActorGone",
    "Backoff",
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
    "kind_of",
]
