"""Match records, histories, stats, trophy history, replays and live matches."""

from __future__ import annotations

from typing import Any

import msgspec
from quart import Blueprint, request

from courtside.persistence.match_history import MatchHistory, MatchLine, PlayerLine
from courtside.protocol import NotFound

from ..auth.identity import current_user
from ..pagination import page_from, paginated
from ..services import services
from ..users.visibility import visible_user

blueprint = Blueprint("game_history", __name__)


def _record(line: MatchLine, players: list[PlayerLine]) -> dict[str, Any]:
    record = msgspec.to_builtins(line)
    record["players"] = msgspec.to_builtins(players)
    record["replay_url"] = f"/api/game/matches/{line.code}/replay/"
    return record


async def match_records(lines: list[MatchLine]) -> list[dict[str, Any]]:
    """The records as the match endpoints show them, every player fetched in one query."""
    players = await MatchHistory(services().database).players([line.id for line in lines])
    return [_record(line, players[line.id]) for line in lines]


@blueprint.get("/api/game/matches/<code>/")
async def match_record(code: str) -> dict[str, Any]:
    line = await MatchHistory(services().database).match(code)
    if line is None:
        raise NotFound("No finished match has this code.")
    return (await match_records([line]))[0]


@blueprint.get("/api/game/matches/<code>/replay/")
async def match_replay(code: str) -> dict[str, Any]:
    history = MatchHistory(services().database)
    line, replay = await history.match(code), await history.replay(code)
    if line is None or replay is None:
        raise NotFound("No replay for this code.")
    seed, inputs = replay
    return {
        "code": code,
        "seed": seed,
        "team_size": line.team_size,
        "score_to_win": line.score_to_win,
        "inputs": msgspec.msgpack.decode(inputs),
    }


@blueprint.get("/api/users/<int:user_id>/matches/")
async def user_matches(user_id: int) -> dict[str, Any]:
    page = page_from(request.args)
    count, lines = await MatchHistory(services().database).of_user(
        (await visible_user(user_id)).id, limit=page.limit, offset=page.offset
    )
    return paginated(request.url, page, count, await match_records(lines))


async def stats_of(user_id: int) -> dict[str, Any]:
    """The body of ``GET /api/users/<id>/stats/``: each mode, best and worst enemy."""
    history = MatchHistory(services().database)
    rivals = await history.rivals(user_id)
    beaten = [r for r in rivals if r.wins_against]
    lost_to = [r for r in rivals if r.losses_against]
    best = max(beaten, key=lambda r: (r.wins_against, -r.user_id), default=None)
    worst = max(lost_to, key=lambda r: (r.losses_against, -r.user_id), default=None)
    return {
        "user_id": user_id,
        "modes": msgspec.to_builtins(await history.stats(user_id)),
        "best_enemy": msgspec.to_builtins(best),
        "worst_enemy": msgspec.to_builtins(worst),
    }


@blueprint.get("/api/users/<int:user_id>/stats/")
async def user_stats(user_id: int) -> dict[str, Any]:
    return await stats_of((await visible_user(user_id)).id)


@blueprint.get("/api/users/me/stats/")
async def my_stats() -> dict[str, Any]:
    return await stats_of(current_user().id)


@blueprint.get("/api/users/me/stats/ranked/")
async def my_trophy_history() -> dict[str, Any]:
    page = page_from(request.args)
    caller = current_user()
    count, changes = await MatchHistory(services().database).trophy_history(
        caller.id, limit=page.limit, offset=page.offset
    )
    body = paginated(request.url, page, count, msgspec.to_builtins(changes))
    body["trophies"] = caller.trophies
    return body


@blueprint.get("/api/game/live/")
async def live_matches() -> dict[str, Any]:
    """Matches in progress, for spectators, from the index the matches keep."""
    page = page_from(request.args)
    svc = services()
    count, window = svc.live_matches.public_page(page.offset, page.limit)
    results = [{**msgspec.to_builtins(m), "ws_url": svc.ws_url(m.code)} for m in window]
    return paginated(request.url, page, count, results)
