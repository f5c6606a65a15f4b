"""The actor runtime: inboxes and handles, request/reply, supervisors, the registry."""

from courtside.actors.bus import Bus
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
from courtside.actors.hub import (
    CONNECTION_BACKLOG,
    HUB,
    HUB_STOPPED,
    SLOW_CONSUMER,
    Connection,
    Event,
    NotificationHub,
    Publish,
    UserPresence,
)
from courtside.actors.live_matches import LiveMatch, LiveMatches
from courtside.actors.match import Match
from courtside.actors.match_messages import (
    Gone,
    Join,
    JoinRefused,
    Leave,
    MatchSpec,
    MatchTiming,
    Ready,
)
from courtside.actors.match_results import MatchRecorder
from courtside.actors.matchmaker import Dequeue, Enqueue, Matchmaker, QueueFull
from courtside.actors.registry import Entry, NameTaken, Registry, kind_of
from courtside.actors.supervisor import Actor, Backoff, Intensity, OnExit, Restart, Supervisor
from courtside.actors.tick_shard import TickShard

__all__ = [
    "CONNECTION_BACKLOG",
    "HUB",
    "HUB_STOPPED",
    "SLOW_CONSUMER",
    "Actor",
    "ActorGone",
    "Backoff",
    "Bus",
    "Busy",
    "Connection",
    "Dequeue",
    "Engagements",
    "Enqueue",
    "Entry",
    "Event",
    "Gone",
    "Handle",
    "Inbox",
    "Intensity",
    "Join",
    "JoinRefused",
    "Leave",
    "LiveMatch",
    "LiveMatches",
    "MailboxFull",
    "MailboxOverflow",
    "Match",
    "MatchRecorder",
    "MatchSpec",
    "MatchTiming",
    "Matchmaker",
    "NameTaken",
    "NotificationHub",
    "OnExit",
    "Overflow",
    "Publish",
    "QueueFull",
    "Ready",
    "Registry",
    "Reply",
    "RequestTimeout",
    "Restart",
    "Supervisor",
    "TickShard",
    "UserPresence",
    "kind_of",
]
