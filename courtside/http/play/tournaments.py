"""``/api/play/tournament/`` and ``/api/game/tournaments/``: the reference's Tournament API.

Handlers validate and read what only the database knows (blocks, finished
tournaments); the tournament actor decides the rest and sends the events.
"""

from __future__ import annotations

import functools
from typing import Annotated, Any, Literal

import msgspec
from quart import Blueprint, Response, make_response, request
from quart_schema import document_request, validate_querystring, validate_request, validate_response

from courtside.actors import Busy, InvalidContent, already_engaged, clean_content
from courtside.actors.tournament import can_see, participant_instance, tournament_instance
from courtside.actors.tournament_messages import (
    BanFromTournament,
    InviteToTournament,
    JoinTournament,
    LeaveTournament,
    LookAtTournament,
    SayInTournament,
    ShowTournament,
)
from courtside.persistence import Social
from courtside.persistence.tournaments import HistoryLine, SearchLine, Tournaments
from courtside.protocol import Forbidden, NotFound, ValidationFailed
from courtside.protocol.user_messages import MAX_ID

from ..auth.identity import current_user
from ..bodies import optional_body
from ..pagination import PageQuery, paginated
from ..responses import fails_with, no_content, page_of
from ..services import services
from .instances import TournamentInstance, TournamentParticipant, TournamentRecord, TournamentSaid
from ..users.visibility import visible_user
from .people import caller_as_person, check_invitable

blueprint = Blueprint("tournaments", __name__)

MAX_TOURNAMENT_NAME = 50
MAX_ALIAS = 20
MAX_SEARCH_QUERY = 100
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TOURNAMENT_NAME)]
Alias = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ALIAS)]


class CreateTournament(msgspec.Struct, frozen=True):
    name: Name
    size: Literal[4, 8, 16]
    private: bool = False
    alias: Alias | None = None


class JoinBody(msgspec.Struct, frozen=True):
    alias: Alias | None = None


class TournamentMessage(msgspec.Struct, frozen=True):
    content: str


class SearchQuery(PageQuery, frozen=True):
    q: Annotated[str, msgspec.Meta(max_length=MAX_SEARCH_QUERY)] = ""  # in the names


def _not_found() -> NotFound:
    return NotFound("No tournament has this code.")


def _not_in() -> Forbidden:
    return Forbidden("You are not in this tournament.", code="not_in_tournament")


def _alias(raw: str | None) -> str:
    alias = (raw or "").strip()
    if raw is not None and not alias:
        raise ValidationFailed(errors={"alias": ["An alias cannot be blank."]})
    return alias or current_user().nickname


def _no_guests() -> None:
    if current_user().is_guest:
        raise Forbidden("Guests cannot play tournaments; register the account first.",
                        code="guest_account")


@blueprint.post("/api/play/tournament/")
@validate_request(CreateTournament)
@validate_response(TournamentInstance, 201)
@fails_with(409)
async def create_tournament(data: CreateTournament) -> tuple[dict[str, Any], int]:
    _no_guests()
    name = data.name.strip()
    if not name:
        raise ValidationFailed(errors={"name": ["A name cannot be blank."]})
    try:
        tournament = await services().tournaments.create(
            caller_as_person(), name=name, size=data.size, private=data.private, alias=_alias(data.alias))
    except Busy as busy:
        raise already_engaged(busy.engagement) from None
    return tournament, 201


@blueprint.get("/api/play/tournament/")
@validate_response(TournamentInstance)
@fails_with(404)
async def my_tournament() -> dict[str, Any]:
    code = await Tournaments(services().database).current_of(current_user().id)
    missing = NotFound("You are not in a tournament.")
    if code is None:
        raise missing
    return await services().tournaments.ask(
        code, functools.partial(ShowTournament, current_user().id), missing=missing)


@blueprint.get("/api/play/tournament/search/")
@validate_querystring(SearchQuery)
@validate_response(page_of(SearchLine))
async def search(query_args: SearchQuery) -> dict[str, Any]:
    page = query_args.page
    count, lines = await Tournaments(services().database).search(
        query_args.q, limit=page.limit, offset=page.offset)
    return paginated(request.url, page, count, msgspec.to_builtins(lines))


@blueprint.get("/api/play/tournament/<code>/")
@validate_response(TournamentInstance)
async def tournament(code: str) -> dict[str, Any]:
    """The tournament with its participants: to them and, when it is public, to anyone."""
    if "\x00" in code:  # PostgreSQL text cannot hold it, and no code has one
        raise _not_found()
    viewer_id = current_user().id
    repo = Tournaments(services().database)
    row = await repo.get(code)
    if row is None or row.status == "cancelled":
        raise _not_found()
    if row.status != "finished":  # its actor holds what the rows do not: the countdown
        return await services().tournaments.ask(
            code, functools.partial(LookAtTournament, viewer_id), missing=_not_found())
    people = await repo.participants(row.id)
    if not can_see(row, people, viewer_id):
        raise _not_found()
    urls = services().avatars.urls
    return tournament_instance(row, people, await repo.bracket(row.id), urls,
                               show=functools.partial(participant_instance, row, avatar_urls=urls))


@blueprint.post("/api/play/tournament/<code>/")
@document_request(JoinBody)
@validate_response(TournamentParticipant, 201)
@fails_with(409)
async def join_tournament(code: str) -> tuple[dict[str, Any], int]:
    _no_guests()
    data = await optional_body(JoinBody)
    blocked_by = frozenset(await Social(services().database).blocker_ids(current_user().id))
    participant = await services().tournaments.ask(
        code, functools.partial(JoinTournament, caller_as_person(), _alias(data.alias), blocked_by),
        missing=_not_found())
    return participant, 201


@blueprint.delete("/api/play/tournament/<code>/")
@no_content("Left the tournament")
@fails_with(409)
async def leave_tournament(code: str) -> Response:
    await services().tournaments.ask(
        code, functools.partial(LeaveTournament, current_user().id), missing=_not_in())
    return await make_response("", 204)


@blueprint.delete("/api/play/tournament/<code>/ban/<int:user_id>/")
@no_content("Banned: out of the tournament, and kept out")
async def ban(code: str, user_id: int) -> Response:
    await services().tournaments.ask(
        code, functools.partial(BanFromTournament, current_user().id, user_id), missing=_not_in())
    return await make_response("", 204)


@blueprint.post("/api/play/tournament/<code>/invite/<int:user_id>/")
@no_content("Invited: the user hears it live")
@fails_with(409)
async def invite(code: str, user_id: int) -> Response:
    await check_invitable(user_id)
    await services().tournaments.ask(
        code, functools.partial(InviteToTournament, current_user().id, user_id), missing=_not_in())
    return await make_response("", 204)


@blueprint.post("/api/play/tournament/<code>/message/")
@validate_request(TournamentMessage)
@validate_response(TournamentSaid, 201)
async def send_message(code: str, data: TournamentMessage) -> tuple[dict[str, Any], int]:
    try:
        content = clean_content(data.content)
    except InvalidContent as invalid:
        raise ValidationFailed(errors={"content": [str(invalid)]}) from None
    said = await services().tournaments.ask(
        code, functools.partial(SayInTournament, current_user().id, content), missing=_not_in())
    return said, 201


@blueprint.get("/api/game/tournaments/<int:tournament_id>/")
@validate_response(TournamentRecord)
async def tournament_record(tournament_id: int) -> dict[str, Any]:
    repo = Tournaments(services().database)
    row = None if tournament_id > MAX_ID else await repo.get_by_id(tournament_id)
    if row is None or row.status == "cancelled":
        raise NotFound("No tournament has this id.")
    return tournament_instance(row, await repo.participants(row.id), await repo.bracket(row.id),
                               services().avatars.urls)


@blueprint.get("/api/users/<int:user_id>/tournaments/")
@validate_querystring(PageQuery)
@validate_response(page_of(HistoryLine))
async def user_tournaments(user_id: int, query_args: PageQuery) -> dict[str, Any]:
    await visible_user(user_id)
    page = query_args.page
    count, lines = await Tournaments(services().database).history(
        user_id, limit=page.limit, offset=page.offset)
    return paginated(request.url, page, count, msgspec.to_builtins(lines))
