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
unless public), 503 when the database is away.
"""

from __future__ import annotations

import inspect
from typing import Any, get_args, get_origin

import msgspec
from quart_schema import OpenAPIProvider
from werkzeug.routing import Rule

from .bodies import UNSAFE_METHODS

_REF_TEMPLATE = "#/components/schemas/{name}"
ERROR_ENVELOPE = "ErrorEnvelope"


class ErrorEnvelope(msgspec.Struct, omit_defaults=True):
    """The body of every 4xx and 5xx: what went wrong, a stable code, and per field
    what is wrong with it (on a 400 for bad fields)."""

    detail: str
    code: str
    errors: dict[str, list[str]] = msgspec.field(default_factory=dict)


_ERRORS = {
    400: "The body or a query parameter is malformed or invalid",
    401: "No valid access token (Bearer header or access cookie)",
    403: "Not allowed to the caller, or the CSRF header is missing (cookie sessions)",
    404: "No such object, or one the caller may not see",
    413: "The body is larger than the route takes",
    415: "The body is not of a type the route takes",
    429: "Too many requests: wait Retry-After seconds",
    503: "The database is away or an actor cannot answer in time: try again",
}


class MsgspecOpenAPIProvider(OpenAPIProvider):
    def build_paths(self, rule: Rule) -> tuple[dict, dict]:
        paths, components = super().build_paths(rule)
        (_,), envelope = msgspec.json.schema_components([ErrorEnvelope], ref_template=_REF_TEMPLATE)
        for operations in paths.values():
            for method, operation in operations.items():
                operation["responses"] = {**operation["responses"],
                                          **self._errors(rule, method.upper(), operation)}
        return paths, {**components, **envelope}

    def _errors(self, rule: Rule, method: str, operation: dict[str, Any]) -> dict[int, Any]:
        view = self._app.view_functions[rule.endpoint]
        takes_body, public = "requestBody" in operation, getattr(view, "is_public", False)
        statuses = {503}
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
        response_object, components = super().build_response_object(model, headers_model)
        described = get_args(model)[0] if get_origin(model) is list else model
        if not (inspect.isclass(described) and issubclass(described, msgspec.Struct)):
            return response_object, components
        (schema,), struct_components = msgspec.json.schema_components(
            [model], ref_template=_REF_TEMPLATE
        )
        response_object["content"]["application/json"]["schema"] = schema
        # The struct's own docstring, not msgspec.Struct's that getdoc would inherit.
        own_doc = described.__dict__.get("__doc__")
        response_object["description"] = inspect.cleandoc(own_doc) if own_doc else ""
        return response_object, {**components, **struct_components}
