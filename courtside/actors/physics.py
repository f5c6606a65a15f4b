"""Pong physics: ``step(state, inputs) -> state``, pure and deterministic.

Pixels, origin at the top left, y growing downwards; one step per tick (60 Hz).
Team a (the initiator) defends the left end, team b (the invited side) the right.
A paddle's position is its TOP edge. Paddles are indexed team a top to bottom, then
team b top to bottom; ``inputs`` to `step` and ``MatchState.paddles`` use that order.

Modes:
- ``1v1``: one paddle per side, free over the whole height (top in [0, 500]).
- ``3v3``: three paddles per side, all at the same x as in 1v1, each confined to its
  own lane, a horizontal band a third of the field high (tops in [0, 100],
  [200, 300], [400, 500]). Each paddle covers half its lane, so a side leaves gaps.

Rules, as DESIGN.md §8 sets them:
- Only a paddle's face returns the ball; where it hits sets the angle (classic Pong),
  up to 60° from the horizontal at the tip, and each return speeds the ball up by 5 %
  up to a cap. The ball's move is swept against the face, so no speed tunnels through.
- A ball past the face is lost, but it can still be touched: a paddle whose top or
  bottom edge meets it deflects it vertically (it does not return it).
- A goal is scored when the ball touches an end line: the side defending it concedes.
- "An own goal is a goal conceded by the team whose paddle touched the ball last."
  A face always sends the ball to the other side, so with every paddle of a side on
  one line only an edge touch behind the face can turn into an own goal. It is still
  a point for the other side; it is also counted against the paddle that touched.
- Serve alternates whoever scored: team a serves first (the ball flies towards team
  b), then team b, and so on. The opening serve goes at once, since the match's
  countdown precedes the first tick; after a goal the ball sits in the centre for
  ``serve_delay_ticks`` ticks, its direction already showing where it will go.
- The first team to ``score_to_win`` wins; a won state never changes again.

Determinism: the serve angle is the only chance, drawn from a xorshift32 generator
kept in the state. Directions are built from slopes with `math.sqrt`, never sin or
cos: IEEE 754 rounds +, -, *, / and sqrt correctly, whereas libm's trigonometry may
differ in the last bit between platforms, so a replay gives the same bits anywhere.
"""

from __future__ import annotations

from math import isfinite, sqrt
from typing import Literal, NamedTuple

import msgspec

Team = Literal["a", "b"]
Mode = Literal["1v1", "3v3"]

FIELD_WIDTH = 800.0
FIELD_HEIGHT = 600.0
PADDLE_WIDTH = 10.0
PADDLE_HEIGHT = 100.0
BALL_RADIUS = 8.0
LEFT_PADDLE_X = 20.0  # left edge of team a's paddles; their face is at x = 30
RIGHT_PADDLE_X = 770.0  # left edge of team b's paddles, which is their face

MAX_PADDLE_SPEED = 10.0  # px per tick
SERVE_SPEED = 6.0  # px per tick
SPEED_GAIN = 1.05  # per return; the cap is reached after 19 returns
MAX_BALL_SPEED = 15.0  # px per tick
MAX_BOUNCE_SLOPE = sqrt(3.0)  # tan 60°: a return off the face's tip
MAX_SERVE_SLOPE = 1.0 / sqrt(3.0)  # tan 30°

# Where the ball's centre is when its edge touches something.
_TOP = BALL_RADIUS
_BOTTOM = FIELD_HEIGHT - BALL_RADIUS
_LEFT_GOAL = BALL_RADIUS
_RIGHT_GOAL = FIELD_WIDTH - BALL_RADIUS
_LEFT_FACE = LEFT_PADDLE_X + PADDLE_WIDTH + BALL_RADIUS
_RIGHT_FACE = RIGHT_PADDLE_X - BALL_RADIUS
# Behind a face, the ball overlaps the paddles' bodies between the face and these.
_LEFT_BACK = LEFT_PADDLE_X - BALL_RADIUS
_RIGHT_BACK = RIGHT_PADDLE_X + PADDLE_WIDTH + BALL_RADIUS
_HALF_PADDLE = PADDLE_HEIGHT / 2.0
_FACE_REACH = _HALF_PADDLE + BALL_RADIUS  # from a face's middle to a ball it still meets
_CENTRE_X = FIELD_WIDTH / 2.0
_CENTRE_Y = FIELD_HEIGHT / 2.0
_MASK32 = 0xFFFFFFFF
_MASK64 = 0xFFFFFFFFFFFFFFFF


class _Layout(NamedTuple):
    starts: tuple[float, ...]
    lows: tuple[float, ...]
    highs: tuple[float, ...]
    team_a: tuple[int, ...]
    team_b: tuple[int, ...]


def _layout(lanes: int) -> _Layout:
    lane_height = FIELD_HEIGHT / lanes
    lows = tuple(lane * lane_height for lane in range(lanes)) * 2
    slack = lane_height - PADDLE_HEIGHT
    return _Layout(
        starts=tuple(low + slack / 2.0 for low in lows),
        lows=lows,
        highs=tuple(low + slack for low in lows),
        team_a=tuple(range(lanes)),
        team_b=tuple(range(lanes, 2 * lanes)),
    )


_LAYOUTS: dict[str, _Layout] = {"1v1": _layout(1), "3v3": _layout(3)}
_OTHER: dict[str, Team] = {"a": "b", "b": "a"}


# gc=False: numbers, strings and tuples of numbers cannot form a cycle, and the tick
# shard makes tens of thousands of these a second: the collector need not track them.
class MatchState(msgspec.Struct, frozen=True, gc=False):
    """One tick of one match: everything `step` needs, and everything a client sees.

    The ball's direction is a unit vector (``|direction_x|`` is never below cos 60°,
    so every rally moves on); its speed is in px per tick. ``serve_wait`` counts
    the ticks the ball still sits in the centre; ``serving`` is the team whose serve
    is in play or waiting. ``last_touch`` is the paddle that touched the ball last in
    this rally; ``own_goals`` counts, per paddle, the goals it put in its own end.
    ``first_goal`` settles ties when a tournament round's clock runs out.
    """

    mode: Mode
    score_to_win: int
    serve_delay_ticks: int
    tick: int
    ball_x: float
    ball_y: float
    direction_x: float
    direction_y: float
    speed: float
    paddles: tuple[float, ...]
    score_a: int
    score_b: int
    serving: Team
    serve_wait: int
    last_touch: int | None
    own_goals: tuple[int, ...]
    first_goal: Team | None
    winner: Team | None
    rng: int


def new_match(
    *, seed: int, mode: Mode, score_to_win: int = 5, serve_delay_ticks: int = 60
) -> MatchState:
    """The state before the first tick: paddles centred in their lanes, team a serving."""
    layout = _LAYOUTS.get(mode)
    if layout is None:
        raise ValueError(f"unknown mode {mode!r}")
    if score_to_win < 1:
        raise ValueError("score_to_win must be at least 1")
    if serve_delay_ticks < 0:
        raise ValueError("serve_delay_ticks cannot be negative")
    rng, direction_x, direction_y = _serve(_seed_rng(seed), "a")
    return MatchState(
        mode=mode,
        score_to_win=score_to_win,
        serve_delay_ticks=serve_delay_ticks,
        tick=0,
        ball_x=_CENTRE_X,
        ball_y=_CENTRE_Y,
        direction_x=direction_x,
        direction_y=direction_y,
        speed=SERVE_SPEED,
        paddles=layout.starts,
        score_a=0,
        score_b=0,
        serving="a",
        serve_wait=0,
        last_touch=None,
        own_goals=(0,) * len(layout.starts),
        first_goal=None,
        winner=None,
        rng=rng,
    )


def step(state: MatchState, inputs: tuple[float | None, ...]) -> MatchState:
    """Advance one tick.

    ``inputs`` holds, per paddle, the top y its player asks for, or None. A move is
    clamped to `MAX_PADDLE_SPEED` and to the paddle's lane; a non-finite request is
    ignored like None. Paddles move first, then the ball meets them where they are.
    """
    if state.winner is not None:
        return state
    layout = _LAYOUTS[state.mode]
    paddles = _move_paddles(state.paddles, inputs, layout)
    if state.serve_wait:
        return msgspec.structs.replace(
            state, tick=state.tick + 1, paddles=paddles, serve_wait=state.serve_wait - 1
        )
    x, y, direction_x, direction_y, speed, touch = _fly(state, paddles, layout)
    if x <= _LEFT_GOAL:
        return _goal(state, paddles, "a", touch)
    if x >= _RIGHT_GOAL:
        return _goal(state, paddles, "b", touch)
    return msgspec.structs.replace(
        state,
        tick=state.tick + 1,
        ball_x=x,
        ball_y=y,
        direction_x=direction_x,
        direction_y=direction_y,
        speed=speed,
        paddles=paddles,
        last_touch=touch,
    )


def own_goals_by_slot(state: MatchState) -> dict[int, int]:
    """Own goals per paddle index, for the match record; paddles with none are left out."""
    return {slot: count for slot, count in enumerate(state.own_goals) if count}


def _move_paddles(
    paddles: tuple[float, ...], inputs: tuple[float | None, ...], layout: _Layout
) -> tuple[float, ...]:
    if len(inputs) != len(paddles):
        raise ValueError(f"expected {len(paddles)} inputs, got {len(inputs)}")
    moved = list(paddles)
    for slot, wanted in enumerate(inputs):
        if wanted is None or not isfinite(wanted):
            continue
        top = moved[slot]
        if wanted > top + MAX_PADDLE_SPEED:
            wanted = top + MAX_PADDLE_SPEED
        elif wanted < top - MAX_PADDLE_SPEED:
            wanted = top - MAX_PADDLE_SPEED
        if wanted < layout.lows[slot]:
            wanted = layout.lows[slot]
        elif wanted > layout.highs[slot]:
            wanted = layout.highs[slot]
        moved[slot] = wanted
    return tuple(moved)


def _fly(
    state: MatchState, paddles: tuple[float, ...], layout: _Layout
) -> tuple[float, float, float, float, float, int | None]:
    """The ball's move over one tick: (x, y, direction_x, direction_y, speed, last_touch).

    The ball moves at most `MAX_BALL_SPEED` per tick, far less than the field's
    height, so it meets at most one wall per tick.
    """
    x = state.ball_x
    y = state.ball_y
    direction_x = state.direction_x
    speed = state.speed
    next_x = x + direction_x * speed
    next_y = y + state.direction_y * speed
    if direction_x < 0.0 and x >= _LEFT_FACE > next_x:
        bounce = _off_face(x, y, next_x, next_y, speed, _LEFT_FACE, 1.0, paddles, layout.team_a)
        if bounce is not None:
            return bounce
    elif direction_x > 0.0 and x <= _RIGHT_FACE < next_x:
        bounce = _off_face(x, y, next_x, next_y, speed, _RIGHT_FACE, -1.0, paddles, layout.team_b)
        if bounce is not None:
            return bounce

    direction_y = state.direction_y
    if next_y < _TOP:
        next_y = 2.0 * _TOP - next_y
        direction_y = -direction_y
    elif next_y > _BOTTOM:
        next_y = 2.0 * _BOTTOM - next_y
        direction_y = -direction_y

    touch = state.last_touch
    if _LEFT_BACK < next_x < _LEFT_FACE:
        edge = _off_edge(next_y, direction_y, paddles, layout.team_a)
    elif _RIGHT_FACE < next_x < _RIGHT_BACK:
        edge = _off_edge(next_y, direction_y, paddles, layout.team_b)
    else:
        edge = None
    if edge is not None:
        next_y, direction_y, touch = edge
    return next_x, next_y, direction_x, direction_y, speed, touch


def _off_face(
    x: float,
    y: float,
    next_x: float,
    next_y: float,
    speed: float,
    face_x: float,
    away: float,
    paddles: tuple[float, ...],
    side: tuple[int, ...],
) -> tuple[float, float, float, float, float, int] | None:
    """The ball crosses ``face_x`` this tick: its bounce off a paddle there, if one is.

    Two paddles of a side are both in reach only where they meet at their lanes'
    border; the upper one takes the ball then.
    """
    crossed_at = (face_x - x) / (next_x - x)
    contact_y = _unfold(y + (next_y - y) * crossed_at)
    for slot in side:
        offset = contact_y - (paddles[slot] + _HALF_PADDLE)
        if -_FACE_REACH <= offset <= _FACE_REACH:
            break
    else:
        return None
    slope = offset / _FACE_REACH * MAX_BOUNCE_SLOPE
    norm = sqrt(1.0 + slope * slope)
    direction_x = away / norm
    direction_y = slope / norm
    speed = min(speed * SPEED_GAIN, MAX_BALL_SPEED)
    # The rest of the tick is flown in the new direction, at the new speed.
    rest = (1.0 - crossed_at) * speed
    after_y = contact_y + direction_y * rest
    if after_y < _TOP:
        after_y = 2.0 * _TOP - after_y
        direction_y = -direction_y
    elif after_y > _BOTTOM:
        after_y = 2.0 * _BOTTOM - after_y
        direction_y = -direction_y
    return face_x + direction_x * rest, after_y, direction_x, direction_y, speed, slot


def _off_edge(
    y: float, direction_y: float, paddles: tuple[float, ...], side: tuple[int, ...]
) -> tuple[float, float, int] | None:
    """A ball behind the face that overlaps a paddle: pushed out of its top or bottom.

    Checked where the tick ends rather than swept: the overlap zone (116 px high,
    26 px deep) is larger than a tick's relative move (at most 25 px vertically,
    15 px horizontally), so no paddle skips over the ball. A ball squeezed against a
    wall stays inside the field and overlaps until it leaves through the goal.
    """
    for slot in side:
        top = paddles[slot]
        if top - BALL_RADIUS < y < top + PADDLE_HEIGHT + BALL_RADIUS:
            if y < top + _HALF_PADDLE:
                return max(top - BALL_RADIUS, _TOP), -abs(direction_y), slot
            return min(top + PADDLE_HEIGHT + BALL_RADIUS, _BOTTOM), abs(direction_y), slot
    return None


def _unfold(y: float) -> float:
    """Where a straight path's y lands once reflected off the wall it crossed."""
    if y < _TOP:
        return 2.0 * _TOP - y
    if y > _BOTTOM:
        return 2.0 * _BOTTOM - y
    return y


def _goal(
    state: MatchState, paddles: tuple[float, ...], conceding: Team, touch: int | None
) -> MatchState:
    scoring = _OTHER[conceding]
    score_a = state.score_a + (scoring == "a")
    score_b = state.score_b + (scoring == "b")
    own_goals = state.own_goals
    if touch is not None and _team_of(touch, len(paddles)) == conceding:
        own_goals = own_goals[:touch] + (own_goals[touch] + 1,) + own_goals[touch + 1 :]
    won = max(score_a, score_b) >= state.score_to_win
    serving = _OTHER[state.serving]
    rng, direction_x, direction_y = _serve(state.rng, serving)
    return msgspec.structs.replace(
        state,
        tick=state.tick + 1,
        ball_x=_CENTRE_X,
        ball_y=_CENTRE_Y,
        direction_x=direction_x,
        direction_y=direction_y,
        speed=SERVE_SPEED,
        paddles=paddles,
        score_a=score_a,
        score_b=score_b,
        serving=serving,
        serve_wait=state.serve_delay_ticks,
        last_touch=None,
        own_goals=own_goals,
        first_goal=state.first_goal or scoring,
        winner=scoring if won else None,
        rng=rng,
    )


def _team_of(slot: int, paddle_count: int) -> Team:
    return "a" if slot < paddle_count // 2 else "b"


def _serve(rng: int, serving: Team) -> tuple[int, float, float]:
    """Draw a serve: the next generator state and a direction away from ``serving``."""
    rng = _xorshift32(rng)
    # rng is in [1, 2**32), so the factor is in [-1, 1).
    slope = (rng / 2.0**31 - 1.0) * MAX_SERVE_SLOPE
    norm = sqrt(1.0 + slope * slope)
    away = 1.0 if serving == "a" else -1.0
    return rng, away / norm, slope / norm


def _xorshift32(x: int) -> int:
    x ^= (x << 13) & _MASK32
    x ^= x >> 17
    x ^= (x << 5) & _MASK32
    return x


def _seed_rng(seed: int) -> int:
    """Spread any integer seed over a non-zero 32-bit state (splitmix64's finaliser):
    xorshift32 is stuck at zero, and neighbouring seeds should serve differently."""
    z = (seed + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return (z ^ (z >> 31)) >> 32 or 1
