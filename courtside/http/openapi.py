"""The OpenAPI document's response schemas, built by msgspec itself, and the error
envelope of every status a route can answer.

quart-schema 0.25 keeps only the first of the components msgspec makes for a
model: a struct's nested structs are left as dangling ``$ref``s, and a
``list[Struct]`` response is documented as one struct. This provider asks
msgspec for the schema and every component it refers to.

The errors come from what the boundary does to every route (DESIGN.md §3), read
from the route itself: 401 unless it is public, 404 where its path names an
object, 400 where it takes a body or query parameters, 413 and 415 where it
takes a body, 429 on unsafe methods (and 403, the CSRF check of cookie sessions,
unless public), 503 when the database is away. What a route's own rules answer
besides, it declares with ``fails_with``.

A create route's answer links to the routes of what it made (OpenAPI links, which
schemathesis' stateful phase follows): POST /api/chat/ to /api/chat/{chat_id}/...
"""

from __future__ import annotations

import inspect
import re
from types import UnionType
from typing import Any, Union, get_args, get_origin

import msgspec
import quart_schema.openapi
from quart_schema import OpenAPIProvider
from quart_schema.validation import QUART_SCHEMA_RESPONSE_ATTRIBUTE
from werkzeug.routing import Rule

from .bodies import UNSAFE_METHODS
from .responses import BODILESS_RESPONSES, FAILURES

_REF_TEMPLATE = "#/components/schemas/{name}"
ERROR_ENVELOPE = "ErrorEnvelope"
# quart-schema's pattern let "[^:]*" run on past '>' when an untyped parameter came
# before a typed one: '/lobby/<code>/ban/<int:user_id>/' was documented as
# '/lobby/{user_id}/'. A parameter's converter never holds '>'.
quart_schema.openapi.PATH_RE = re.compile(r"<(?:[^:>]*:)?([^>]+)>")
# The path parameter a route's path starts with (what follows a create route's path).
_FIRST_PARAMETER = re.compile(quart_schema.openapi.PATH_RE.pattern + "/")


class ErrorEnvelope(msgspec.Struct, omit_defaults=True):
    """The body of every 4xx and 5xx: what went wrong, a stable code, and per field
    what is wrong with it (on a 400 for bad fields)."""

    detail: str
    code: str
    errors: dict[str, list[str]] = msgspec.field(default_factory=dict)


_ERRORS = {
    400: "The body or a query parameter is malformed or invalid",
    401: "No valid access token (Bearer header or access cookie), or wrong credentials",
    403: "Not allowed to the caller, or the CSRF header is missing (cookie sessions)",
    404: "No such object, or one the caller may not see",
    405: "Not something this object allows (a clash's settings are fixed)",
    409: "In conflict with what is: the caller is engaged elsewhere, or it is done already",
    413: "The body is larger than the route takes",
    415: "The body is not of a type the route takes",
    429: "Too many requests: wait Retry-After seconds",
    502: "The sign-in provider did not answer as expected",
    503: "The database is away or an actor cannot answer in time: try again",
}


class MsgspecOpenAPIProvider(OpenAPIProvider):
    def build_paths(self, rule: Rule) -> tuple[dict, dict]:
        paths, components = super().build_paths(rule)
        (_,), envelope = msgspec.json.schema_components([ErrorEnvelope], ref_template=_REF_TEMPLATE)
        view = self._app.view_functions[rule.endpoint]
        bodiless = {status: _bodiless_response(description, media_type) for status, (
            description, media_type) in getattr(view, BODILESS_RESPONSES, {}).items()}
        made = {status: links for status, (model, _) in
                getattr(view, QUART_SCHEMA_RESPONSE_ATTRIBUTE, {}).items()
                if "POST" in rule.methods and (links := self._links(rule, model))}
        for operations in paths.values():
            for method, operation in operations.items():
                responses = {**operation["responses"], **bodiless,
                             **self._errors(rule, method.upper(), operation)}
                if method == "post":
                    for status, links in made.items():
                        responses[status] = {**responses[status], "links": links}
                operation["responses"] = responses
        return paths, {**components, **envelope}

    def _links(self, rule: Rule, model: Any) -> dict[str, Any]:
        """Links from a create route's answer to the routes one path parameter below it:
        the parameter is the body's field of that name, else its ``id``; the create
        route's own parameters are the request's. Only a struct answer names fields
        (a union may be another object: a friend request sent may come back a friendship)."""
        fields = model.__struct_fields__ if _is_struct(model) else ()
        links = {}
        for target in self.generate_rules():
            if not target.rule.startswith(rule.rule):
                continue
            below = _FIRST_PARAMETER.match(target.rule.removeprefix(rule.rule))
            field = below and (below[1] if below[1] in fields else "id")
            if field not in fields:
                continue
            parameters = {below[1]: f"$response.body#/{field}",
                          **{own: f"$request.path.{own}" for own in rule.arguments}}
            for method in map(str.lower, self.generate_methods(target)):
                links[f"{target.endpoint}.{method}"] = {
                    "operationRef": f"#/paths/{_pointer(target)}/{method}", "parameters": parameters}
        return links

    def _errors(self, rule: Rule, method: str, operation: dict[str, Any]) -> dict[int, Any]:
        view = self._app.view_functions[rule.endpoint]
        takes_body, public = "requestBody" in operation, getattr(view, "is_public", False)
        statuses = {503} | getattr(view, FAILURES, frozenset())
        statuses |= set() if public else {401}
        statuses |= {404} if rule.arguments else set()
        statuses |= {400} if takes_body or any(p["in"] == "query" for p in operation["parameters"]) else set()
        statuses |= {413, 415} if takes_body else set()
        statuses |= {429} if method in UNSAFE_METHODS else set()
        statuses |= {403} if method in UNSAFE_METHODS and not public else set()
        reference = {"$ref": _REF_TEMPLATE.format(name=ERROR_ENVELOPE)}
        return {status: {"description": _ERRORS[status],
                         "content": {"application/json": {"schema": reference}}}
                for status in sorted(statuses) if status not in operation["responses"]}

    def build_response_object(
        self, model: Any, headers_model: Any | None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        shown = _structs_shown(model)
        if not shown:
            return super().build_response_object(model, headers_model)
        # One of several structs (a union) is any of their schemas.
        alternatives = get_args(model) if get_origin(model) in (Union, UnionType) else (model,)
        schemas, components = msgspec.json.schema_components(alternatives, ref_template=_REF_TEMPLATE)
        schema = schemas[0] if len(schemas) == 1 else {"anyOf": list(schemas)}
        # The structs' own docstrings, not msgspec.Struct's that getdoc would inherit.
        docs = [inspect.cleandoc(doc) for struct in shown if (doc := struct.__dict__.get("__doc__"))]
        return {"content": {"application/json": {"schema": schema}},
                "description": "\n\nor: ".join(docs)}, components


def _structs_shown(model: Any) -> list[type[msgspec.Struct]]:
    """The structs a response model shows (itself, a list's item, a generic's origin,
    a union's members); none when it is not made of structs."""
    origin = get_origin(model)
    if origin in (Union, UnionType):
        members = [_structs_shown(member) for member in get_args(model)]
        return [struct for shown in members for struct in shown] if all(members) else []
    described = get_args(model)[0] if origin is list else origin or model
    return [described] if _is_struct(described) else []


def _pointer(rule: Rule) -> str:
    """The rule's path as a JSON pointer token: '/api/chat/{chat_id}/' is '~1api~1chat~1{chat_id}~1'."""
    return quart_schema.openapi.PATH_RE.sub(r"{\1}", rule.rule).replace("~", "~0").replace("/", "~1")


def _is_struct(model: Any) -> bool:
    return inspect.isclass(model) and issubclass(model, msgspec.Struct)


def _bodiless_response(description: str, media_type: str | None) -> dict[str, Any]:
    if media_type is None:
        return {"description": description}
    return {"description": description,
            "content": {media_type: {"schema": {"type": "string", "format": "binary"}}}}
