"""The Quart-Trio application: conventions of DESIGN.md §3 and its blueprints."""

from __future__ import annotations

import time

from quart import Quart, Response, g, request
from quart_schema import QuartSchema
from quart_trio import QuartTrio
from werkzeug.exceptions import RequestTimeout

from courtside import web
from courtside.protocol import Throttled

from . import error_handlers, notifications, operations, social
from .auth import oauth, password_reset
from .auth import routes as auth_routes
from .auth.identity import authenticate
from .bodies import (
    MAX_ANY_BODY,
    UNSAFE_METHODS,
    JsonRequest,
    check_request_body,
    check_request_text,
)
from .chat import blueprint as chat_blueprint
from .json_provider import MsgspecJSONProvider
from .live import channels as live_channels, sse, user_socket
from .openapi import MsgspecOpenAPIProvider
from .play import history, invites, leaderboard, lobbies, queues, rematch, tournaments
from .services import Services, services
from .users import avatars
from .users import routes as users_routes


class CourtsideApp(QuartTrio):
    request_class = JsonRequest


def create_app(svc: Services) -> Quart:
    app = CourtsideApp("courtside")
    app.config["MAX_CONTENT_LENGTH"] = MAX_ANY_BODY
    # '/api/users/me' answers like '/api/users/me/', with no redirect.
    app.url_map.strict_slashes = False
    app.extensions["courtside"] = svc
    QuartSchema(
        app,
        openapi_path="/openapi.json",
        swagger_ui_path="/docs",
        redoc_ui_path=None,
        scalar_ui_path=None,
        info={"title": "Courtside", "version": "0.1.0"},
        conversion_preference="msgspec",
        openapi_provider_class=MsgspecOpenAPIProvider,
    )
    # After QuartSchema, which installs a stdlib-json provider of its own.
    app.json = MsgspecJSONProvider(app)
    error_handlers.install(app)
    app.before_request(_start_timer)
    app.before_request(authenticate)
    app.before_request(_throttle_unsafe_methods)
    app.before_request(check_request_body)
    app.before_request(check_request_text)
    app.after_request(_keep_alive_past_the_body)
    app.after_request(_count_request)
    for blueprint in (operations.blueprint, auth_routes.blueprint, users_routes.blueprint,
                      avatars.blueprint, queues.blueprint, lobbies.blueprint, history.blueprint,
                      rematch.blueprint, leaderboard.blueprint, tournaments.blueprint,
                      invites.blueprint,
                      sse.blueprint, user_socket.blueprint, live_channels.blueprint,
                      social.blueprint,
                      chat_blueprint, password_reset.blueprint, oauth.blueprint,
                      notifications.blueprint, web.blueprint):
        app.register_blueprint(blueprint)
    return app


async def _start_timer() -> None:
    g.started = time.perf_counter()


async def _throttle_unsafe_methods() -> None:
    if request.method not in UNSAFE_METHODS:
        return
    user = g.get("user")
    svc = services()
    if user is None and request.remote_addr in svc.throttle_exempt_addresses:
        return
    key = f"user:{user.id}" if user is not None else f"ip:{request.remote_addr}"
    if wait := svc.throttle.take(key):
        raise Throttled(wait)


async def _count_request(response: Response) -> Response:
    route = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
    elapsed = time.perf_counter() - g.get("started", time.perf_counter())
    services().metrics.observe_request(request.method, route, response.status_code, elapsed)
    return response


async def _keep_alive_past_the_body(response: Response) -> Response:
    # hypercorn cannot skip a body the app left unread on a kept-alive connection:
    # it drops it under the client's next request, or leaves that one unanswered.
    # So an accepted body is read to its end (at once when the view read it), and
    # one refused or sent where none is taken (an OPTIONS, a GET) closes the connection.
    if not request.content_length:
        return response
    if response.status_code < 400 and request.method in UNSAFE_METHODS:
        try:
            await request.get_data()
            return response
        except RequestTimeout:
            pass
    response.headers["Connection"] = "close"
    return response
