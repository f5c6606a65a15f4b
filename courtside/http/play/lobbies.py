"""``/api/play/lobby/``: lobbies for clashes and custom games (the reference's Lobby API).

Handlers validate, read what only the database knows (blocks, the invitee), and
ask the lobby actor; the actor decides everything else and sends the events.
"""

from __future__ import annotations

import functools
from typing import Annotated, Any

import msgspec
from quart import Blueprint, Response, make_response
from quart_schema import validate_request, validate_response

from courtside.actors import Busy, InvalidContent, already_engaged, clean_content
from courtside.actors.lobby_messages import (
    Ban,
    ChangeSelf,
    ChangeSettings,
    GameMode,
    Invite,
    Join,
    LeaveLobby,
    LobbyTeam,
    MatchType,
    Say,
    Settings,
    Show,
)
from courtside.persistence import Social
from courtside.protocol import Forbidden, NotFound, ValidationFailed

from ..auth.identity import current_user
from ..responses import fails_with, no_content
from ..services import services
from .instances import LobbyInstance, LobbyParticipant, LobbySaid
from .people import caller_as_person, check_invitable

blueprint = Blueprint("lobbies", __name__, url_prefix="/api/play/lobby")

MIN_SCORE_TO_WIN = 1
MAX_SCORE_TO_WIN = 21
DEFAULT_SCORE_TO_WIN = 5  # DESIGN.md §8: first to 5, custom games 1-21
ScoreToWin = Annotated[int, msgspec.Meta(ge=MIN_SCORE_TO_WIN, le=MAX_SCORE_TO_WIN)]


class CreateLobby(msgspec.Struct, frozen=True):
    game_mode: GameMode
    match_type: MatchType | None = None
    score_to_win: ScoreToWin | None = None


class UpdateLobby(msgspec.Struct, frozen=True):
    match_type: MatchType | None = None
    score_to_win: ScoreToWin | None = None


class UpdateParticipant(msgspec.Struct, frozen=True):
    is_ready: bool | None = None
    team: LobbyTeam | None = None


class LobbyMessage(msgspec.Struct, frozen=True):
    content: str


def _not_found() -> NotFound:
    return NotFound("No lobby has this code.")


def _not_in_lobby() -> Forbidden:
    return Forbidden("You are not in this lobby.", code="not_in_lobby")


def _no_lobby() -> NotFound:
    return NotFound("You are not in a lobby.")


async def _my_code() -> str:
    code = await services().lobbies.code_of(current_user().id)
    if code is None:
        raise _no_lobby()
    return code


def _settings(data: CreateLobby) -> Settings:
    if data.game_mode == "clash":
        if data.match_type not in (None, "3v3"):
            raise ValidationFailed(errors={"match_type": ["A clash is always 3v3."]})
        if data.score_to_win not in (None, DEFAULT_SCORE_TO_WIN):
            raise ValidationFailed(errors={"score_to_win": ["A clash plays to the usual score."]})
        return Settings("clash", "3v3", DEFAULT_SCORE_TO_WIN)
    return Settings("custom_game", data.match_type or "1v1",
                    data.score_to_win or DEFAULT_SCORE_TO_WIN)


@blueprint.post("/")
@validate_request(CreateLobby)
@validate_response(LobbyInstance, 201)
@fails_with(409)
async def create_lobby(data: CreateLobby) -> tuple[dict[str, Any], int]:
    try:
        lobby = await services().lobbies.create(caller_as_person(), _settings(data))
    except Busy as busy:
        raise already_engaged(busy.engagement) from None
    return lobby, 201


@blueprint.get("/")
@validate_response(LobbyInstance)
@fails_with(404)
async def my_lobby() -> dict[str, Any]:
    return await services().lobbies.ask(
        await _my_code(), functools.partial(Show, current_user().id), missing=_no_lobby()
    )


@blueprint.patch("/")
@validate_request(UpdateLobby)
@validate_response(LobbyInstance)
@fails_with(404, 405)
async def update_lobby(data: UpdateLobby) -> dict[str, Any]:
    return await services().lobbies.ask(
        await _my_code(),
        functools.partial(ChangeSettings, current_user().id, data.match_type, data.score_to_win),
        missing=_no_lobby(),
    )


@blueprint.get("/<code>/")
@validate_response(LobbyInstance)
async def lobby(code: str) -> dict[str, Any]:
    """The lobby with its participants, for its members; 404 for anyone else."""
    return await services().lobbies.ask(
        code, functools.partial(Show, current_user().id), missing=_not_found()
    )


@blueprint.post("/<code>/")
@validate_response(LobbyParticipant, 201)
@fails_with(409)
async def join_lobby(code: str) -> tuple[dict[str, Any], int]:
    caller = current_user()
    blocked_by = frozenset(await Social(services().database).blocker_ids(caller.id))
    participant = await services().lobbies.ask(
        code, functools.partial(Join, caller_as_person(), blocked_by), missing=_not_found()
    )
    return participant, 201


@blueprint.patch("/<code>/")
@validate_request(UpdateParticipant)
@validate_response(LobbyParticipant)
async def update_participant(code: str, data: UpdateParticipant) -> dict[str, Any]:
    return await services().lobbies.ask(
        code, functools.partial(ChangeSelf, current_user().id, data.is_ready, data.team),
        missing=_not_in_lobby(),
    )


@blueprint.delete("/<code>/")
@no_content("Left the lobby")
async def leave_lobby(code: str) -> Response:
    await services().lobbies.ask(
        code, functools.partial(LeaveLobby, current_user().id), missing=_not_in_lobby()
    )
    return await make_response("", 204)


@blueprint.delete("/<code>/ban/<int:user_id>/")
@no_content("Banned: out of the lobby, and kept out")
async def ban(code: str, user_id: int) -> Response:
    await services().lobbies.ask(
        code, functools.partial(Ban, current_user().id, user_id), missing=_not_in_lobby()
    )
    return await make_response("", 204)


@blueprint.post("/<code>/invite/<int:user_id>/")
@no_content("Invited: the user hears it live")
@fails_with(409)
async def invite(code: str, user_id: int) -> Response:
    await check_invitable(user_id)
    await services().lobbies.ask(
        code, functools.partial(Invite, current_user().id, user_id), missing=_not_in_lobby()
    )
    return await make_response("", 204)


@blueprint.post("/<code>/message/")
@validate_request(LobbyMessage)
@validate_response(LobbySaid, 201)
async def send_message(code: str, data: LobbyMessage) -> tuple[dict[str, Any], int]:
    try:
        content = clean_content(data.content)
    except InvalidContent as invalid:
        raise ValidationFailed(errors={"content": [str(invalid)]}) from None
    said = await services().lobbies.ask(
        code, functools.partial(Say, current_user().id, content), missing=_not_in_lobby()
    )
    return said, 201
