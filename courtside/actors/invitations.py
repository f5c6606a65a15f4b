"""Invitations to play (``invitations``): one user asks another, in their dialogue.

DESIGN.md §8. An invitation is a message of the pair's dialogue (kind ``invite``),
posted through the chat's room like any message, so both members get
``receive-message`` and the invitee's unread count; the invitee also gets
``invite-1v1``/``invite-3v3``/``invite-clash``, shaped as a lobby's invitation
(data ``{id, code}``, kwargs ``{username, code}``) where ``id`` is the invitation
and ``code`` its lobby (null for 1v1), plus ``chat_id``, ``match_type`` and
``expires_at``. The message's id is the invitation's id.

What accepting means:
- ``1v1``: a friendly duel starts at once for both (``game-start``), if both are free.
- ``3v3`` and ``clash``: the inviter must be in a lobby of that kind when inviting;
  accepting joins the invitee to it, with the lobby's own rules (full, banned, ...),
  while the inviter is still in it: once they have left, accepting cancels it.

An invitation stays pending until accepted, declined, cancelled by its inviter, or
INVITE_EXPIRY seconds pass; then its message's status changes, once, and both
members get ``update-message`` with the message as it now stands. A block between
the two cancels their pending invitations both ways (``CancelBetween``). A refused
accept (someone busy, the lobby full) leaves it pending. Pending invitations are
rebuilt from the database when the actor restarts.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import msgspec
import trio

from courtside.persistence import Database, Social
from courtside.persistence.chats import INVITE, Chats, Message
from courtside.protocol import ApiError, Conflict, Forbidden, NotFound, ServiceUnavailable

from .bus import Bus
from .chat_rooms import ChatRooms
from .engagements import Busy, Engagements, already_engaged, place
from .handle import ActorGone, Inbox, MailboxFull, Overflow, Reply
from .kickoff import Kickoff
from .lobbies import LOBBY, Lobbies
from .lobby_messages import Instance, Join, Person, Show

log = logging.getLogger(__name__)

INVITATIONS = "invitations"
INVITE_EXPIRY = 300.0  # DESIGN.md §8: invitations expire after 5 minutes
MAX_PENDING_SENT = 10  # per inviter: enough for a clash lobby, too few to spam
MAX_PENDING = 10_000
INBOX_CAPACITY = 256
INVITE_MODE = "duel"  # a 1v1 invitation is a friendly: no trophies at stake
SCORE_TO_WIN = 5

MatchType = Literal["1v1", "3v3", "clash"]
# The lobby an invitation of each kind asks into: (game_mode, match_type).
LOBBY_KIND: dict[str, tuple[str, str]] = {"3v3": ("custom_game", "3v3"), "clash": ("clash", "3v3")}
PENDING, ACCEPTED, DECLINED, EXPIRED, CANCELLED = (
    "pending", "accepted", "declined", "expired", "cancelled"
)

RenderMessage = Callable[[Message], dict[str, Any]]


class SendInvite(msgspec.Struct, frozen=True):
    """``inviter`` asks ``invitee_id`` in their dialogue ``chat_id``; blocks were checked."""

    inviter: Person
    invitee_id: int
    chat_id: int
    match_type: MatchType
    reply: Reply[dict[str, Any]]


class AcceptInvite(msgspec.Struct, frozen=True):
    """``invitee`` accepts; ``blocked_by`` for the lobby they may join (as a lobby join)."""

    invite_id: int
    invitee: Person
    blocked_by: frozenset[int]
    reply: Reply[dict[str, Any]]


class DeclineInvite(msgspec.Struct, frozen=True):
    invite_id: int
    user_id: int
    reply: Reply[dict[str, Any]]


class CancelInvite(msgspec.Struct, frozen=True):
    invite_id: int
    user_id: int
    reply: Reply[None]


class CancelBetween(msgspec.Struct, frozen=True):
    """A block now stands between the two: their pending invitations, either way, end.

    Sent, not requested: the block is committed already, and an invitation this
    misses is still refused on accept and expires in time."""

    one_id: int
    other_id: int


InvitationMessage = SendInvite | AcceptInvite | DeclineInvite | CancelInvite | CancelBetween


@dataclass(slots=True)
class _Pending:
    id: int
    chat_id: int
    inviter_id: int
    invitee_id: int
    match_type: str
    lobby_code: str | None
    expires_at: datetime  # wall clock, as clients are told
    deadline: float  # trio clock, what the actor waits on

    def instance(self, status: str = PENDING) -> dict[str, Any]:
        return {
            "id": self.id, "chat_id": self.chat_id, "match_type": self.match_type,
            "status": status, "inviter_id": self.inviter_id, "invitee_id": self.invitee_id,
            "code": self.lobby_code, "expires_at": self.expires_at,
        }


async def cancel_invites_between(bus: Bus, one_id: int, other_id: int) -> None:
    """After a block: the pair's pending invitations end, both ways (not waited for)."""
    handle = await bus.find(INVITATIONS)
    if handle is None:
        return  # restarting: what it rebuilds is refused on accept, and expires
    try:
        handle.send_nowait(CancelBetween(one_id, other_id))
    except (ActorGone, MailboxFull):
        pass  # the same


def not_found() -> NotFound:
    return NotFound("No such invitation.", code="invite_not_found")


class Invitations:
    def __init__(
        self,
        *,
        database: Database,
        chat_rooms: ChatRooms,
        lobbies: Lobbies,
        engagements: Engagements,
        kickoff: Kickoff,
        bus: Bus,
        render_message: RenderMessage,
        expiry: float = INVITE_EXPIRY,
    ) -> None:
        self._chats = Chats(database)
        self._social = Social(database)
        self._chat_rooms = chat_rooms
        self._lobbies = lobbies
        self._engagements = engagements
        self._kickoff = kickoff
        self._bus = bus
        self._render_message = render_message
        self._expiry = expiry
        self._pending: dict[int, _Pending] = {}

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        await self._rebuild()
        with Inbox[InvitationMessage](INBOX_CAPACITY, Overflow.REJECT, name=INVITATIONS) as inbox:
            task_status.started(inbox.handle)
            while True:
                message: InvitationMessage | None = None
                wake_at = min((p.deadline for p in self._pending.values()), default=float("inf"))
                with trio.move_on_at(wake_at):
                    message = await inbox.receive()
                if message is None:
                    await self._expire_due()
                else:
                    await self._handle(message)

    async def _handle(self, message: InvitationMessage) -> None:
        if isinstance(message, CancelBetween):
            pair = {message.one_id, message.other_id}
            for pending in [p for p in self._pending.values()
                            if {p.inviter_id, p.invitee_id} == pair]:
                await self._settle(pending, CANCELLED)
            return
        reply: Reply[Any] = message.reply
        try:
            match message:
                case SendInvite():
                    reply.send(await self._send(message))
                case AcceptInvite():
                    reply.send(await self._accept(message))
                case DeclineInvite(invite_id, user_id):
                    pending = await self._find(invite_id, user_id, as_inviter=False)
                    await self._settle(pending, DECLINED)
                    reply.send(pending.instance(DECLINED))
                case CancelInvite(invite_id, user_id):
                    await self._settle(await self._find(invite_id, user_id, as_inviter=True),
                                       CANCELLED)
                    reply.send(None)
        except ApiError as refused:
            reply.fail(refused)

    # Sending

    async def _send(self, invite: SendInvite) -> dict[str, Any]:
        inviter = invite.inviter
        lobby_code = await self._lobby_for(inviter.id, invite.match_type)
        if (engaged := await self._engagements.of(invite.invitee_id)) is not None:
            raise Conflict(f"This user is already in {place(engaged, with_code=False)}.",
                           code="invitee_engaged")
        sent = [p for p in self._pending.values() if p.inviter_id == inviter.id]
        if any(p.invitee_id == invite.invitee_id for p in sent):
            raise Conflict("You already have a pending invitation to this user.",
                           code="invite_exists")
        if len(sent) >= MAX_PENDING_SENT:
            raise Conflict(f"You have {MAX_PENDING_SENT} pending invitations; wait for answers.",
                           code="too_many_invites")
        if len(self._pending) >= MAX_PENDING:
            raise ServiceUnavailable("Too many invitations are waiting; try again soon.",
                                     code="invitations_busy")
        expires_at = datetime.now(UTC) + timedelta(seconds=self._expiry)
        posted = await self._chat_rooms.post(
            invite.chat_id, inviter.id, f"{inviter.username} invites you to a {invite.match_type} match!",
            kind=INVITE, payload={
                "match_type": invite.match_type, "status": PENDING,
                "invitee_id": invite.invitee_id, "lobby_code": lobby_code,
                "expires_at": expires_at.isoformat().replace("+00:00", "Z"),
            },
        )
        pending = _Pending(posted.message.id, invite.chat_id, inviter.id, invite.invitee_id,
                           invite.match_type, lobby_code, expires_at,
                           trio.current_time() + self._expiry)
        self._pending[pending.id] = pending
        self._bus.publish_to_user(invite.invitee_id, f"invite-{invite.match_type}", {
            "id": pending.id, "code": lobby_code, "chat_id": pending.chat_id,
            "match_type": pending.match_type, "expires_at": expires_at,
        }, {"username": inviter.username, "code": lobby_code})
        return pending.instance()

    async def _lobby_for(self, inviter_id: int, match_type: str) -> str | None:
        """The inviter's lobby a 3v3 or clash invitation asks into; None for a 1v1."""
        engaged = await self._engagements.of(inviter_id)
        if match_type not in LOBBY_KIND:
            if engaged is not None:
                raise already_engaged(engaged)
            return None
        if engaged is None or not engaged.startswith(LOBBY):
            raise Conflict(f"Join or create a lobby for a {match_type} first: the invitation "
                           "asks the user into it.", code="lobby_required")
        code = engaged.removeprefix(LOBBY)
        lobby: Instance = await self._lobbies.ask(
            code, functools.partial(Show, inviter_id), missing=_lobby_closed()
        )
        if (lobby["game_mode"], lobby["match_type"]) != LOBBY_KIND[match_type]:
            raise Conflict(f"Your lobby is not a {match_type} lobby.", code="lobby_mismatch")
        return code

    # Answers

    async def _accept(self, accept: AcceptInvite) -> dict[str, Any]:
        pending = await self._find(accept.invite_id, accept.invitee.id, as_inviter=False)
        # A block made since the invitation stops it (DESIGN.md §5); it lapses in time.
        between = await self._social.relationship(pending.invitee_id, pending.inviter_id)
        if between.blocked_by or between.block_id is not None:
            raise Forbidden("There is a block between you and the inviter.", code="user_blocked")
        answer = pending.instance(ACCEPTED)
        if pending.lobby_code is None:
            try:
                spec, ws_url = await self._kickoff(
                    INVITE_MODE, (pending.inviter_id,), (pending.invitee_id,), SCORE_TO_WIN
                )
            except Busy as busy:
                if busy.user_id == pending.invitee_id:
                    raise already_engaged(busy.engagement) from None
                raise Conflict("The inviter is busy right now; try again later.",
                               code="inviter_engaged") from None
            answer["match"] = {"code": spec.code, "game_mode": spec.mode, "ws_url": ws_url}
        else:
            if await self._lobbies.code_of(pending.inviter_id) != pending.lobby_code:
                # The invitation asked into the inviter's company: without it, it is void.
                await self._settle(pending, CANCELLED)
                raise Conflict("The inviter has left the lobby of this invitation.",
                               code="inviter_left_lobby")
            try:
                answer["lobby"] = await self._lobbies.ask(
                    pending.lobby_code, functools.partial(Join, accept.invitee, accept.blocked_by),
                    missing=_lobby_closed(),
                )
            except Conflict as refused:
                if refused.code == "lobby_closed":
                    await self._settle(pending, CANCELLED)
                raise
        await self._settle(pending, ACCEPTED)
        return answer

    async def _find(self, invite_id: int, user_id: int, *, as_inviter: bool) -> _Pending:
        """The pending invitation, if ``user_id`` may answer (or, ``as_inviter``, cancel) it."""
        pending = self._pending.get(invite_id)
        if pending is None:
            message = await self._chats.message(invite_id)
            payload = message.payload if message is not None and message.kind == INVITE else None
            if payload is None or user_id not in (message.author.id, payload["invitee_id"]):
                raise not_found()
            status = payload["status"]
            raise Conflict(f"This invitation is {status}.", code=f"invite_{status}")
        if user_id not in (pending.inviter_id, pending.invitee_id):
            raise not_found()
        if as_inviter and user_id != pending.inviter_id:
            raise Forbidden("Only the inviter may cancel an invitation; decline it instead.",
                            code="not_inviter")
        if not as_inviter and user_id != pending.invitee_id:
            raise Forbidden("Only the invited user may answer an invitation.", code="not_invitee")
        return pending

    async def _settle(self, pending: _Pending, status: str) -> None:
        """The invitation ends as ``status``: its message says so, and both members hear it."""
        del self._pending[pending.id]
        message = await self._chats.settle_invite(pending.id, status)
        if message is None:
            return  # its chat was deleted meanwhile: nothing left to show
        self._bus.publish((pending.inviter_id, pending.invitee_id), "update-message",
                          self._render_message(message),
                          {"chat_id": pending.chat_id, "status": status})

    async def _expire_due(self) -> None:
        now = trio.current_time()
        for pending in [p for p in self._pending.values() if p.deadline <= now]:
            await self._settle(pending, EXPIRED)

    async def _rebuild(self) -> None:
        """Pending invitations from the database, each with the time it has left."""
        now, wall = trio.current_time(), datetime.now(UTC)
        for message in await self._chats.pending_invites():
            payload = message.payload or {}
            expires_at = datetime.fromisoformat(payload["expires_at"])
            left = max(0.0, (expires_at - wall).total_seconds())
            self._pending[message.id] = _Pending(
                message.id, message.chat_id, message.author.id, payload["invitee_id"],
                payload["match_type"], payload.get("lobby_code"), expires_at, now + left,
            )
        if self._pending:
            log.info("%s: %d pending invitations rebuilt", INVITATIONS, len(self._pending))


def _lobby_closed() -> Conflict:
    return Conflict("The lobby of this invitation has closed.", code="lobby_closed")
