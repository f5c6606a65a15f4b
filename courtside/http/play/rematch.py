"""``POST /api/game/matches/<code>/rematch/``: ask the players of a finished match for another."""

from __future__ import annotations

import functools
from typing import Any, Literal

import msgspec
from quart import Blueprint
from quart_schema import validate_response

from courtside.actors import REMATCH, ActorGone, AskRematch, MailboxFull, RequestTimeout
from courtside.persistence import Social
from courtside.persistence.match_history import MatchHistory
from courtside.protocol import Forbidden, NotFound, ServiceUnavailable

from ..auth.identity import current_user
from ..responses import Shown, fails_with
from ..services import services

blueprint = Blueprint("rematch", __name__)

REQUEST_TIMEOUT = 5.0


class RematchAnswer(Shown):
    """``invited``: the others are asked (200); ``started``: everyone asked, the match
    begins (201), ``ws_url`` is where to play it."""

    status: Literal["invited", "started"]
    code: str  # the finished match's (invited) or the new one's (started)
    ws_url: str | msgspec.UnsetType = msgspec.UNSET


@blueprint.post("/api/game/matches/<code>/rematch/")
@validate_response(RematchAnswer, 201)
@validate_response(RematchAnswer, 200)
@fails_with(409)
async def rematch(code: str) -> tuple[dict[str, Any], int]:
    caller = current_user()
    history = MatchHistory(services().database)
    line = await history.match(code)
    if line is None:
        raise NotFound("No finished match has this code.")
    players = (await history.players([line.id]))[line.id]
    if caller.id not in {p.user_id for p in players}:
        raise Forbidden("Only the players of a match may ask for a rematch.", code="not_a_player")
    others = [p.user_id for p in players if p.user_id != caller.id]
    relationships = await Social(services().database).relationships(caller.id, others)
    if any(r.blocked_by or r.block_id is not None for r in relationships.values()):
        raise Forbidden("There is a block between you and a player of this match.", code="user_blocked")
    handle = await services().bus.find(REMATCH)
    if handle is None:
        raise ServiceUnavailable("Rematches are restarting; try again.")
    by_slot = sorted(players, key=lambda p: p.slot)
    ask = functools.partial(
        AskRematch, code, line.game_mode, line.score_to_win,
        tuple(p.user_id for p in by_slot if p.team == "a"),
        tuple(p.user_id for p in by_slot if p.team == "b"),
        caller.id, caller.username,
    )
    try:
        answer = await handle.request(ask, timeout=REQUEST_TIMEOUT)
    except (ActorGone, MailboxFull, RequestTimeout):
        raise ServiceUnavailable("Rematches are busy; try again.") from None
    return answer, 201 if answer["status"] == "started" else 200
