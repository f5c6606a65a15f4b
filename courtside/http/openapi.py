"""The OpenAPI document's response schemas, built by msgspec itself.

quart-schema 0.25 keeps only the first of the components msgspec makes for a
model: a struct's nested structs are left as dangling ``$ref``s, and a
``list[Struct]`` response is documented as one struct. This provider asks
msgspec for the schema and every component it refers to.
"""

from __future__ import annotations

import inspect
from typing import Any, get_args, get_origin

import msgspec
from quart_schema import OpenAPIProvider

_REF_TEMPLATE = "#/components/schemas/{name}"


class MsgspecOpenAPIProvider(OpenAPIProvider):
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
