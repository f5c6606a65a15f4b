"""What the HTTP layer is given to work with, and how handlers reach it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from quart import current_app

from courtside.actors import Bus, ChatRooms, LiveMatches, Lobbies, Registry, Supervisor
from courtside.actors.tournaments import TournamentDirectory
from courtside.cluster import ClusterNode
from courtside.actors.world_chat import WorldChat
from courtside.persistence import AvatarStore, Database

from .auth.mail import Mailer
from .auth.oauth_client import OAuthProviders
from .auth.tokens import TokenSigner
from .metrics import Metrics
from .public_url import PublicUrl
from .sockets import OpenSockets
from .throttling import Throttle


@dataclass(frozen=True, slots=True, kw_only=True)
class Services:
    database: Database
    supervisor: Supervisor
    registry: Registry
    throttle: Throttle
    # Addresses whose anonymous requests the throttle lets through (load testers).
    throttle_exempt_addresses: frozenset[str] = frozenset()
    metrics: Metrics
    sockets: OpenSockets
    tokens: TokenSigner
    # Failed logins, limited per username and per IP (DESIGN.md §3).
    failed_logins_by_username: Throttle
    failed_logins_by_ip: Throttle
    avatars: AvatarStore
    # Events to users' live channels, and who is online (DESIGN.md §6, §10).
    bus: Bus
    cluster: ClusterNode  # this node's membership of the cluster
    # The full game WebSocket URL of a match, as clients must be handed it.
    ws_url: Callable[[str], str]
    # Where the user socket's writes never wait: /ws/ on the game port (docs/LIVE_CHANNEL.md).
    live_url: str
    live_matches: LiveMatches  # matches in progress, for GET /api/game/live/
    chat_rooms: ChatRooms  # the way to a chat's room actor, started on demand
    world_chat: WorldChat  # the way to the world chat's room, which runs all along
    lobbies: Lobbies  # creates, finds and asks lobby actors
    tournaments: TournamentDirectory  # creates, resumes and asks tournament actors
    public_url: PublicUrl  # the start of reset links and OAuth redirect URIs
    mailer: Mailer  # queues mail; a worker sends it
    # Password-reset requests, limited per address (a victim's inbox) and per IP.
    password_resets_by_address: Throttle
    password_resets_by_ip: Throttle
    oauth: OAuthProviders  # the configured sign-in providers
    sse_heartbeat_seconds: float  # how often a quiet event stream gets a comment line


def services() -> Services:
    """The services of the app handling the current request."""
    return current_app.extensions["courtside"]
