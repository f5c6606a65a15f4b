"""The physics state as the reference protocol shows it (DESIGN.md §6)."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from courtside.protocol.game_messages import MatchState, Paddle

from .physics import MatchState as Physics


def reference_state(
    state: Physics,
    *,
    initiator_id: int,
    invited_id: int,
    seats: Sequence[tuple[int, str]],
    invited_slot: int,
    tournament: bool,
    seconds_left: int | None = None,
) -> MatchState:
    """``seats`` lists (user id, team) in paddle order; ``invited_slot`` is team b's
    first paddle. In 3v3 the first paddle of each team stands for the ``*_paddle_y``
    keys, and ``paddles`` carries all six."""
    paddles: list[Paddle] | msgspec.UnsetType = msgspec.UNSET
    if len(seats) > 2:
        paddles = [Paddle(user_id, team, y)  # type: ignore[arg-type]
                   for (user_id, team), y in zip(seats, state.paddles, strict=True)]
    minutes, seconds = msgspec.UNSET, msgspec.UNSET
    if tournament and seconds_left is not None:
        minutes, seconds = divmod(seconds_left, 60)
    # Every field by keyword, no ** unpacking: with it msgspec builds the struct
    # 4x slower, and this runs for every match on every tick.
    return MatchState(
        initiator_id=initiator_id,
        invited_id=invited_id,
        initiator_score=state.score_a,
        invited_score=state.score_b,
        initiator_paddle_y=state.paddles[0],
        invited_paddle_y=state.paddles[invited_slot],
        ball_position_x=state.ball_x,
        ball_position_y=state.ball_y,
        ball_direction_x=state.direction_x,
        ball_direction_y=state.direction_y,
        tournament=tournament,
        tick=state.tick,
        paddles=paddles,
        minutes_left=minutes,
        seconds_left=seconds,
    )
