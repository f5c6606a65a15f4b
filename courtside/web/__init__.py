"""The web client and the JavaScript SDK, served from the package (no CDN, no build step).

``/`` is the single-page client (``static/index.html``, its ES modules under
``/app/``), ``/sdk/courtside.js`` and ``/sdk/courtside.d.ts`` the SDK any page can
import. ``/docs``' Swagger UI loads its script and style from the
``swagger-ui-bundle`` package through ``/docs/assets/``, so the docs work offline.
"""

from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle
from quart import Blueprint, Response, send_from_directory
from quart.blueprints import BlueprintSetupState

from courtside.http.auth.identity import public
from courtside.http.responses import serves
from courtside.protocol import NotFound

STATIC = Path(__file__).parent / "static"
SWAGGER_ASSETS = Path(swagger_ui_bundle.swagger_ui_path)
SWAGGER_FILES = frozenset({"swagger-ui-bundle.js", "swagger-ui.css"})

# Scripts, styles and images only from this origin; sockets to any port of any host,
# since the game port is its own listener and a match's ws_url may name another node.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; connect-src 'self' ws: wss:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
# mimetypes would call a .ts file an MPEG transport stream.
CONTENT_TYPES = {".ts": "application/typescript; charset=utf-8",
                 ".js": "text/javascript; charset=utf-8"}

blueprint = Blueprint("web", __name__)


@blueprint.record_once
def _serve_swagger_locally(state: BlueprintSetupState) -> None:
    state.app.config["QUART_SCHEMA_SWAGGER_JS_URL"] = "/docs/assets/swagger-ui-bundle.js"
    state.app.config["QUART_SCHEMA_SWAGGER_CSS_URL"] = "/docs/assets/swagger-ui.css"


@blueprint.get("/")
@public
@serves("text/html", "The web client's page")
async def index() -> Response:
    response = await _file(STATIC, "index.html")
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


@blueprint.get("/app/<path:filename>")
@public
@serves("*/*", "A file of the web client: a script, a style, an image")
async def client_file(filename: str) -> Response:
    return await _file(STATIC / "app", filename)


@blueprint.get("/sdk/<path:filename>")
@public
@serves("*/*", "The SDK: courtside.js, or its types courtside.d.ts")
async def sdk_file(filename: str) -> Response:
    return await _file(STATIC / "sdk", filename)


@blueprint.get("/docs/assets/<path:filename>")
@public
@serves("*/*", "The Swagger UI's script or style")
async def swagger_asset(filename: str) -> Response:
    if filename not in SWAGGER_FILES:
        raise NotFound("No such documentation asset.")
    return await _file(SWAGGER_ASSETS, filename)


async def _file(folder: Path, filename: str) -> Response:
    # send_from_directory refuses paths that leave the folder (404).
    response = await send_from_directory(folder, filename)
    if (content_type := CONTENT_TYPES.get(Path(filename).suffix)) is not None:
        response.content_type = content_type
    # Served from the installed package: a new release changes them, so revalidate.
    response.cache_control.no_cache = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
