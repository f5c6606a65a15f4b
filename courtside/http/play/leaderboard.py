"""GET /api/leaderboard/: the best players of a mode, and where the caller stands."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, request

from courtside.persistence.leaderboard import LEADERBOARD_MODES, Leaderboard, Standing
from courtside.protocol import ValidationFailed

from ..auth.identity import current_user
from ..pagination import page_from, paginated
from ..services import services

blueprint = Blueprint("leaderboard", __name__)

DEFAULT_LEADERBOARD_MODE = "ranked"


def _line(standing: Standing) -> dict[str, Any]:
    return {
        "rank": standing.rank,
        "user": {
            "id": standing.user_id,
            "username": standing.username,
            "nickname": standing.nickname,
            "profile_picture": services().avatars.urls(standing.avatar),
        },
        "score": standing.score,
        "games": standing.games,
        "wins": standing.wins,
    }


@blueprint.get("/api/leaderboard/")
async def leaderboard() -> dict[str, Any]:
    mode = request.args.get("mode") or DEFAULT_LEADERBOARD_MODE
    if mode not in LEADERBOARD_MODES:
        raise ValidationFailed(errors={"mode": [f"Choose one of: {', '.join(LEADERBOARD_MODES)}."]})
    page = page_from(request.args)
    board = Leaderboard(services().database)
    count, standings = await board.page(mode, limit=page.limit, offset=page.offset)
    body = paginated(request.url, page, count, [_line(s) for s in standings])
    body["mode"] = mode
    body["score"] = {"ranked": "trophies", "tournament": "tournament_wins"}.get(mode, "wins")
    mine = await board.standing(mode, current_user().id)
    body["me"] = None if mine is None else _line(mine)
    return body
