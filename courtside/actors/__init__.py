"""The actor runtime: inboxes and handles, request/reply, supervisors, the registry."""

from courtside.actors.away_from_lobbies import AWAY_FROM_LOBBIES, AwayFromLobbies, tell_lobbies_offline
from courtside.actors.bus import Bus
from courtside.actors.chat_messages import (
    MAX_CONTENT_LENGTH,
    InvalidContent,
    NotChatMember,
    Posted,
    Unread,
    clean_content,
)
from courtside.actors.chat_room import MAX_GROUP_MEMBERS, ChatRoom, RenderMessage
from courtside.actors.chat_rooms import ChatRooms
from courtside.actors.engagements import Busy, Engagements, already_engaged
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
    MAX_CONNECTIONS_PER_USER,
    SESSIONS_ENDED,
    SLOW_CONSUMER,
    Connection,
    Event,
    Deliver,
    NotificationHub,
    UserPresence,
)
from courtside.actors.invitations import INVITATIONS, Invitations
from courtside.actors.kickoff import Kickoff
from courtside.actors.live_matches import LiveMatch, LiveMatches
from courtside.actors.lobbies import Lobbies
from courtside.actors.loop_stalls import LoopStalls
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
from courtside.actors.registry import NameTaken, Registry, kind_of
from courtside.actors.rematches import REMATCH, AskRematch, Rematches
from courtside.actors.supervisor import Actor, Backoff, Intensity, Killed, OnExit, Restart, Supervisor
from courtside.actors.tick_shard import TickShard

from courtside.persistence.presence import TooManyConnections

__all__ = [
    "AWAY_FROM_LOBBIES",
    "CONNECTION_BACKLOG",
    "HUB",
    "HUB_STOPPED",
    "INVITATIONS",
    "MAX_CONTENT_LENGTH",
    "MAX_GROUP_MEMBERS",
    "MAX_CONNECTIONS_PER_USER",
    "SESSIONS_ENDED",
    "SLOW_CONSUMER",
    "Actor",
    "ActorGone",
    "AwayFromLobbies",
    "Backoff",
    "Bus",
    "Busy",
    "ChatRoom",
    "ChatRooms",
    "Connection",
    "Dequeue",
    "Engagements",
    "Enqueue",
    "Event",
    "Gone",
    "Handle",
    "Inbox",
    "Intensity",
    "Killed",
    "InvalidContent",
    "Invitations",
    "Join",
    "Kickoff",
    "JoinRefused",
    "Leave",
    "LiveMatch",
    "LiveMatches",
    "Lobbies",
    "LoopStalls",
    "MailboxFull",
    "MailboxOverflow",
    "Match",
    "MatchRecorder",
    "MatchSpec",
    "MatchTiming",
    "Matchmaker",
    "NameTaken",
    "NotChatMember",
    "NotificationHub",
    "OnExit",
    "Overflow",
    "Posted",
    "Deliver",
    "QueueFull",
    "REMATCH",
    "AskRematch",
    "Rematches",
    "Ready",
    "Registry",
    "RenderMessage",
    "Reply",
    "RequestTimeout",
    "Restart",
    "Supervisor",
    "TickShard",
    "Unread",
    "TooManyConnections",
    "UserPresence",
    "already_engaged",
    "clean_content",
    "kind_of",
    "tell_lobbies_offline",
]
