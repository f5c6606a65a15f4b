"""msgspec as the app's JSON codec: fast, and timestamps as RFC 3339 with ``Z``."""

from __future__ import annotations

from typing import Any

import msgspec
from flask.json.provider import DefaultJSONProvider

_encoder = msgspec.json.Encoder()


class MsgspecJSONProvider(DefaultJSONProvider):
    def dumps(self, obj: Any, **kwargs: Any) -> str:
        return _encoder.encode(obj).decode()

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return msgspec.json.decode(s)
        except msgspec.DecodeError as error:
            # Quart's get_json treats ValueError as malformed input (a 400).
            raise ValueError(str(error)) from None
