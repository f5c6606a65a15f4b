"""Match records, histories, stats, trophy history, replays and live matches."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import msgspec
from quart import Blueprint, request
from quart_schema import validate_querystring, validate_response

from courtside.actors import LiveMatch
from courtside.persistence.match_history import MatchHistory, MatchLine, PlayerLine, TrophyChange
from courtside.protocol import NotFound

from ..auth.identity import current_user
from ..pagination import PageQuery, paginated
from ..responses import Paged, Shown, page_of
from ..services import services
from ..users.visibility import visible_user
from .stats import ModeStats, stats_of

blueprint = Blueprint("game_history", __name__)

UNSET: Any = msgspec.UNSET


class MatchPlayer(Shown):
    user_id: int
    username: str
    nickname: str
    team: Literal["a", "b"]
    slot: int  # paddle index over both teams
    # Known once the match is recorded:
    goals: int | msgspec.UnsetType = UNSET
    own_goals: int | msgspec.UnsetType = UNSET
    trophies_before: int | None | msgspec.UnsetType = UNSET
    trophies_after: int | None | msgspec.UnsetType = UNSET


class MatchView(Shown):
    """A match from the moment it exists: live while it runs, then its record."""

    id: int | None  # None until recorded
    code: str
    game_mode: str
    status: Literal["waiting", "countdown", "playing", "paused", "finished", "aborted"]
    team_size: int
    score_to_win: int
    score_a: int
    score_b: int
    winning_team: Literal["a", "b"] | None
    reason: str | None  # how it ended: score, forfeit, disconnect, timeout, aborted
    started_at: datetime | None
    ended_at: datetime | None
    duration: float | None
    players: list[MatchPlayer]
    replay_url: str | None
    ws_url: str | msgspec.UnsetType = UNSET  # while it runs: where to watch it


class TrophyPage(Paged[TrophyChange]):
    trophies: int  # the caller's trophies now


class Replay(Shown):
    """What a client needs to play a match again: the seed and every input by tick."""

    code: str
    seed: int
    team_size: int
    score_to_win: int
    inputs: list[Any]  # [tick, [each paddle's input]], in tick order


class LiveMatchView(LiveMatch, kw_only=True):
    """A public match in progress, and where to watch it."""

    ws_url: str


def _record(line: MatchLine, players: list[PlayerLine]) -> MatchView:
    return MatchView(
        **msgspec.structs.asdict(line),
        status="aborted" if line.reason == "aborted" else "finished",
        players=[MatchPlayer(**msgspec.structs.asdict(player)) for player in players],
        replay_url=f"/api/game/matches/{line.code}/replay/",
    )


async def match_records(lines: list[MatchLine]) -> list[dict[str, Any]]:
    """The records as the match endpoints show them, every player fetched in one query."""
    players = await MatchHistory(services().database).players([line.id for line in lines])
    return msgspec.to_builtins([_record(line, players[line.id]) for line in lines])


async def running_match(code: str) -> tuple[LiveMatch, str] | None:
    """The match in progress under ``code`` and its ws_url: from this node's live
    index, else from the node of the cluster that hosts it."""
    svc = services()
    if (here := svc.live_matches.get(code)) is not None:
        return here, svc.ws_url(code)
    return await svc.cluster.placement.running_elsewhere(code)


async def _live_view(match: LiveMatch, ws_url: str) -> MatchView:
    names = await MatchHistory(services().database).names(match.players)
    players = [
        MatchPlayer(user_id, names[user_id].username, names[user_id].nickname,
                    "a" if slot < match.team_size else "b", slot)
        for slot, user_id in enumerate(match.players)
    ]
    return MatchView(
        id=None, code=match.code, game_mode=match.game_mode, status=match.phase,
        team_size=match.team_size, score_to_win=match.score_to_win,
        score_a=match.score_a, score_b=match.score_b, winning_team=match.winning_team,
        reason=match.reason,
        started_at=match.started_at, ended_at=None, duration=None, players=players,
        replay_url=None, ws_url=ws_url,
    )


@blueprint.get("/api/game/matches/<code>/")
@validate_response(MatchView)
async def match_record(code: str) -> dict[str, Any]:
    # The live index first: a match leaves it only once its record is written,
    # so one of the two always knows it.
    if (running := await running_match(code)) is not None:
        return msgspec.to_builtins(await _live_view(*running))
    line = await MatchHistory(services().database).match(code)
    if line is None:
        raise NotFound("No match has this code.")
    return (await match_records([line]))[0]


@blueprint.get("/api/game/matches/<code>/replay/")
@validate_response(Replay)
async def match_replay(code: str) -> Replay:
    history = MatchHistory(services().database)
    line, replay = await history.match(code), await history.replay(code)
    if line is None or replay is None:
        raise NotFound("No replay for this code.")
    seed, inputs = replay
    return Replay(code, seed, line.team_size, line.score_to_win, msgspec.msgpack.decode(inputs))


@blueprint.get("/api/users/<int:user_id>/matches/")
@validate_querystring(PageQuery)
@validate_response(page_of(MatchView))
async def user_matches(user_id: int, query_args: PageQuery) -> dict[str, Any]:
    page = query_args.page
    count, lines = await MatchHistory(services().database).of_user(
        (await visible_user(user_id)).id, limit=page.limit, offset=page.offset
    )
    return paginated(request.url, page, count, await match_records(lines))


@blueprint.get("/api/users/<int:user_id>/stats/")
@validate_response(list[ModeStats])
async def user_stats(user_id: int) -> list[dict[str, Any]]:
    return await stats_of((await visible_user(user_id)).id)


@blueprint.get("/api/users/me/stats/")
@validate_response(list[ModeStats])
async def my_stats() -> list[dict[str, Any]]:
    return await stats_of(current_user().id)


@blueprint.get("/api/users/me/stats/ranked/")
@validate_querystring(PageQuery)
@validate_response(TrophyPage)
async def my_trophy_history(query_args: PageQuery) -> dict[str, Any]:
    page = query_args.page
    caller = current_user()
    count, changes = await MatchHistory(services().database).trophy_history(
        caller.id, limit=page.limit, offset=page.offset
    )
    body = paginated(request.url, page, count, msgspec.to_builtins(changes))
    body["trophies"] = caller.trophies
    return body


@blueprint.get("/api/game/live/")
@validate_querystring(PageQuery)
@validate_response(page_of(LiveMatchView))
async def live_matches(query_args: PageQuery) -> dict[str, Any]:
    """Public matches in progress on every node, for spectators, by code: from the
    index this node's matches keep and from each other node's."""
    page = query_args.page
    svc = services()
    here = [(match, svc.ws_url(match.code)) for match in svc.live_matches.public()]
    everywhere = sorted(here + await svc.cluster.placement.public_elsewhere(),
                        key=lambda found: found[0].code)
    window = everywhere[page.offset:page.offset + page.limit]
    results = [{**msgspec.to_builtins(match), "ws_url": ws_url} for match, ws_url in window]
    return paginated(request.url, page, len(everywhere), results)
