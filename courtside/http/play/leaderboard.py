"""GET /api/leaderboard/: the best players of a mode, and where the caller stands."""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import msgspec
from quart import Blueprint, request
from quart_schema import validate_querystring, validate_response

from courtside.persistence.leaderboard import (
    LEADERBOARD_FIGURES,
    Leaderboard,
    Standing,
)

from ..auth.identity import current_user
from ..pagination import Page, PageQuery, paginated
from ..responses import Paged, Shown
from ..services import services

blueprint = Blueprint("leaderboard", __name__)

DEFAULT_LEADERBOARD_MODE = "ranked"
UNSET: Any = msgspec.UNSET


class LeaderboardQuery(PageQuery, frozen=True):
    mode: Literal["ranked", "duel", "clash", "tournament"] = DEFAULT_LEADERBOARD_MODE
    # ``me``: the page of ``limit`` lines centred on the caller's own line.
    around: Literal["me"] | None = None


class BoardPlayer(Shown):
    id: int
    username: str
    nickname: str
    profile_picture: dict[str, str]


class BoardLine(Shown):
    """A line names the board's figure by what it is: ``trophies`` on the ranked
    board, ``tournament_wins`` on the tournament board; the wins boards rank by
    ``wins``, which every line carries."""

    rank: int
    user: BoardPlayer
    games: int
    wins: int
    trophies: int | msgspec.UnsetType = UNSET
    tournament_wins: int | msgspec.UnsetType = UNSET


class LeaderboardPage(Paged[BoardLine]):
    mode: str
    ranked_by: Literal["trophies", "wins", "tournament_wins"]
    me: BoardLine | None


def _line(standing: Standing, figure: str) -> BoardLine:
    player = BoardPlayer(standing.user_id, standing.username, standing.nickname,
                         services().avatars.urls(standing.avatar))
    line = BoardLine(standing.rank, player, standing.games, standing.wins)
    return line if figure == "wins" else msgspec.structs.replace(line, **{figure: standing.score})


@blueprint.get("/api/leaderboard/")
@validate_querystring(LeaderboardQuery)
@validate_response(LeaderboardPage)
async def leaderboard(query_args: LeaderboardQuery) -> dict[str, Any]:
    mode, around_me, page = query_args.mode, query_args.around == "me", query_args.page
    figure, _ = LEADERBOARD_FIGURES[mode]
    board = Leaderboard(services().database)
    count = await board.count(mode)
    mine = await board.standing(mode, current_user().id)
    url = request.url
    if around_me:
        # Its neighbours are plain pages: their links drop ``around``.
        url = _without_query(url, "around")
        if mine is not None:
            page = _centred_on(mine.rank, page.limit, count)
    standings = await board.page(mode, limit=page.limit, offset=page.offset)
    body = paginated(url, page, count, [_line(s, figure) for s in standings])
    body["mode"] = mode
    body["ranked_by"] = figure
    body["me"] = None if mine is None else _line(mine, figure)
    return msgspec.to_builtins(body)


def _centred_on(rank: int, limit: int, count: int) -> Page:
    """The window of ``limit`` lines with line ``rank`` in its middle, held inside the board."""
    return Page(limit, max(0, min(rank - 1 - (limit - 1) // 2, count - limit)))


def _without_query(url: str, name: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    return urlunsplit(parts._replace(query=urlencode(query)))
