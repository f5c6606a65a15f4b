"""The OpenAPI document's response schemas, complete for msgspec Structs that nest others.

quart-schema 0.25 documents a msgspec Struct by the first of its schema
components in name order and drops the rest (pgjones/quart-schema#117), so a
response holding other Structs described the wrong one, with dangling refs.
Here each documented response refers to its own Struct, and every Struct it
nests becomes a component.
"""

from __future__ import annotations

from typing import Any

import msgspec
from quart_schema import OpenAPIProvider

REF_TEMPLATE = "#/components/schemas/{name}"


class StructsOpenAPI(OpenAPIProvider):
    def build_response_object(
        self, model: Any, headers_model: Any
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        response_object, definitions = super().build_response_object(model, headers_model)
        if isinstance(model, type) and issubclass(model, msgspec.Struct):
            (schema,), components = msgspec.json.schema_components(
                [model], ref_template=REF_TEMPLATE)
            response_object["content"]["application/json"]["schema"] = schema
            definitions.update(components)
        return response_object, definitions
