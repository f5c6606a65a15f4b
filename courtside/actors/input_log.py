"""A match's inputs, tick by tick, kept for its replay (DESIGN.md §7).

An hour at 60 Hz logs 216 000 ticks: as Python tuples that took about 200 bytes
a tick and as many objects for the collector to walk. Here each logged tick is
one fixed-width record appended to a bytearray: the tick, then each paddle's
position as a float64 (exact, so the replay steps the same physics), NaN
standing for "no input this tick", which is free since the match only accepts
finite positions.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterator

import msgspec

_NO_INPUT = math.nan
_encoder = msgspec.msgpack.Encoder()


class InputLog:
    """Append-only log of (tick, one position or None per paddle)."""

    def __init__(self, paddles: int) -> None:
        self._record = struct.Struct(f"<I{paddles}d")
        self._packed = bytearray()

    def append(self, tick: int, inputs: tuple[float | None, ...]) -> None:
        """Called every tick with input: the usual case, every paddle moved, packs as is."""
        if None in inputs:
            inputs = tuple([_NO_INPUT if position is None else position for position in inputs])
        self._packed += self._record.pack(tick, *inputs)

    def __len__(self) -> int:
        return len(self._packed) // self._record.size

    @property
    def nbytes(self) -> int:
        return len(self._packed)

    def __iter__(self) -> Iterator[tuple[int, list[float | None]]]:
        for record in self._record.iter_unpack(self._packed):
            yield record[0], [None if math.isnan(p) else p for p in record[1:]]

    def to_msgpack(self) -> bytes:
        """``[[tick, [position or nil, ...]], ...]``, as match_replays stores it.

        Encoded a record at a time after the array header, so even a long match
        never holds all its ticks as Python objects at once.
        """
        encoded = bytearray(_array_header(len(self)))
        for record in self:
            _encoder.encode_into(record, encoded, -1)
        return bytes(encoded)


def _array_header(length: int) -> bytes:
    """MessagePack's array header in its smallest form, as msgspec writes it."""
    if length < 16:
        return bytes([0x90 | length])
    if length < 1 << 16:
        return b"\xdc" + length.to_bytes(2, "big")
    return b"\xdd" + length.to_bytes(4, "big")
