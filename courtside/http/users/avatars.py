"""Avatars: upload and reset at /api/users/me/avatar/, the re-encoded files at /media/avatars/.

The refusals of an upload and their codes are listed in ``courtside.persistence.avatars``.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
import trio
from quart import Blueprint, Response, request
from quart_schema import DataSource, document_request, validate_response

from courtside.persistence import DEFAULT_STEM, MAX_AVATAR_BYTES, Users
from courtside.protocol import NotFound, UnsupportedMediaType, ValidationFailed

from ..auth.identity import current_user, public
from ..bodies import accepts_multipart, body_limit
from ..responses import Shown, serves
from ..services import services

blueprint = Blueprint("avatars", __name__)


class AvatarUpload(msgspec.Struct, frozen=True):
    """The multipart form of an upload: the image, in any format the store reads."""

    avatar: Annotated[bytes, msgspec.Meta(extra_json_schema={"format": "binary"})]


class Avatar(Shown):
    profile_picture: dict[str, str]  # small, medium, large: the renditions' URLs

# Boundaries and part headers around the file, with room to spare.
_FORM_OVERHEAD = 64 * 1024
# An uploaded avatar's name is unique to its content: it may be cached for good.
_CACHE_UPLOADED = "public, max-age=31536000, immutable"
# The default avatar's names stay the same whatever it looks like: not immutable.
_CACHE_DEFAULT = "public, max-age=86400"


@blueprint.put("/api/users/me/avatar/")
@body_limit(MAX_AVATAR_BYTES + _FORM_OVERHEAD)
@accepts_multipart
@document_request(AvatarUpload, source=DataSource.FORM_MULTIPART)
@validate_response(Avatar)
async def upload_avatar() -> Avatar:
    """Replace the caller's avatar with the re-encoded ``avatar`` file of a multipart form."""
    if request.mimetype != "multipart/form-data":
        raise UnsupportedMediaType(
            'An avatar is uploaded as multipart/form-data, in the field "avatar".'
        )
    upload = (await request.files).get("avatar")
    if upload is None or not upload.filename:
        raise ValidationFailed(errors={"avatar": ["No file was submitted."]})
    # One byte past the limit is enough for the store to refuse an oversized file.
    content = await trio.to_thread.run_sync(upload.stream.read, MAX_AVATAR_BYTES + 1)

    caller = current_user()
    svc = services()
    stem = await svc.avatars.save(caller.id, content, upload.filename)
    try:
        replaced = await Users(svc.database).set_avatar(caller.id, stem)
    except Exception:
        # The row still names the previous files, so nothing would ever serve these.
        await svc.avatars.remove(stem)
        raise
    await svc.avatars.remove(replaced)
    return Avatar(svc.avatars.urls(stem))


@blueprint.delete("/api/users/me/avatar/")
@validate_response(Avatar)
async def reset_avatar() -> Avatar:
    """Go back to the default avatar; the uploaded files are deleted."""
    caller = current_user()
    svc = services()
    await svc.avatars.remove(await Users(svc.database).set_avatar(caller.id, None))
    return Avatar(svc.avatars.urls(None))


@blueprint.get("/media/avatars/<file_name>")
@public
@serves("image/webp", "The avatar rendition")
async def avatar_file(file_name: str) -> Response:
    path = services().avatars.path_of(file_name)
    if path is None:
        raise NotFound()
    try:
        # Read whole rather than streamed: the file may be deleted by a new upload
        # at any moment, and the largest rendition is a few tens of KiB.
        content = await trio.Path(path).read_bytes()
    except FileNotFoundError:
        raise NotFound() from None
    response = Response(content, mimetype="image/webp")
    is_default = file_name.startswith(f"{DEFAULT_STEM}-")
    response.headers["Cache-Control"] = _CACHE_DEFAULT if is_default else _CACHE_UPLOADED
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
