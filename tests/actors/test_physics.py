"""Pong physics: rallies, goals, serves, lanes, own goals, and replays to the bit."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import msgspec
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from courtside.actors.physics import (
    BALL_RADIUS,
    FIELD_HEIGHT,
    FIELD_WIDTH,
    MAX_BALL_SPEED,
    MAX_BOUNCE_SLOPE,
    MAX_PADDLE_SPEED,
    PADDLE_HEIGHT,
    SERVE_SPEED,
    SPEED_GAIN,
    MatchState,
    Mode,
    new_match,
    own_goals_by_slot,
    step,
)

CENTRE = (FIELD_WIDTH / 2, FIELD_HEIGHT / 2)
# The lanes as the module documents them: (lowest top, highest top) per paddle.
LANES = {
    "1v1": [(0.0, 500.0)] * 2,
    "3v3": [(0.0, 100.0), (200.0, 300.0), (400.0, 500.0)] * 2,
}
MIN_DIRECTION_X = math.cos(math.radians(60)) - 1e-12

Inputs = tuple[float | None, ...]
Player = Callable[[MatchState], Inputs]


def play(state: MatchState, player: Player, ticks: int) -> list[MatchState]:
    """The start, then the state after each of ``ticks`` steps, ``player`` choosing inputs."""
    states = [state]
    for _ in range(ticks):
        state = step(state, player(state))
        states.append(state)
    return states


def idle(state: MatchState) -> Inputs:
    return (None,) * len(state.paddles)


def tracking(*slots: int) -> Player:
    """Players in ``slots`` keep their paddle's middle on the ball; the others idle."""

    def player(state: MatchState) -> Inputs:
        wanted = state.ball_y - PADDLE_HEIGHT / 2
        return tuple(wanted if slot in slots else None for slot in range(len(state.paddles)))

    return player


def ball_heading(
    state: MatchState, *, x: float, y: float, direction: tuple[float, float], speed: float
) -> MatchState:
    norm = math.hypot(*direction)
    return msgspec.structs.replace(
        state,
        ball_x=float(x),
        ball_y=float(y),
        direction_x=direction[0] / norm,
        direction_y=direction[1] / norm,
        speed=speed,
    )


def until(states: Sequence[MatchState], done: Callable[[MatchState], bool]) -> MatchState:
    return next(state for state in states if done(state))


# -- examples ----------------------------------------------------------------------


def test_new_match_centres_the_ball_and_the_paddles_in_their_lanes():
    duel = new_match(seed=1, mode="1v1")
    assert (duel.ball_x, duel.ball_y) == CENTRE
    assert duel.paddles == (250.0, 250.0)
    assert (duel.score_a, duel.score_b, duel.winner, duel.tick) == (0, 0, None, 0)

    clash = new_match(seed=1, mode="3v3")
    assert clash.paddles == (50.0, 250.0, 450.0) * 2
    assert clash.own_goals == (0,) * 6


@pytest.mark.parametrize(
    "config",
    [
        {"mode": "2v2"},
        {"mode": "1v1", "score_to_win": 0},
        {"mode": "1v1", "serve_delay_ticks": -1},
    ],
)
def test_new_match_refuses_a_config_it_cannot_play(config):
    with pytest.raises(ValueError):
        new_match(seed=1, **config)


def test_a_ball_aimed_at_a_paddle_bounces_back():
    state = ball_heading(
        new_match(seed=1, mode="1v1"), x=200, y=300, direction=(-1, 0), speed=SERVE_SPEED
    )
    returned = until(play(state, idle, 100), lambda s: s.direction_x > 0)
    assert returned.last_touch == 0
    assert (returned.score_a, returned.score_b) == (0, 0)
    assert returned.speed == SERVE_SPEED * SPEED_GAIN


def test_where_the_ball_meets_the_face_sets_the_angle():
    state = new_match(seed=1, mode="1v1")  # the left paddle spans y 250-350
    angles = []
    for y in (300.0, 330.0, 357.0, 270.0):
        shot = ball_heading(state, x=100, y=y, direction=(-1, 0), speed=SERVE_SPEED)
        returned = until(play(shot, idle, 50), lambda s: s.direction_x > 0)
        angles.append(math.degrees(math.atan2(returned.direction_y, returned.direction_x)))
    middle, low, tip, high = angles
    assert middle == 0
    assert 0 < low < tip <= 60
    assert high < 0


def test_a_ball_past_an_absent_paddle_is_a_goal_for_the_other_side():
    state = ball_heading(
        new_match(seed=1, mode="1v1"), x=200, y=100, direction=(-1, 0), speed=SERVE_SPEED
    )
    scored = until(play(state, idle, 100), lambda s: s.score_b == 1)
    assert scored.score_a == 0
    assert (scored.ball_x, scored.ball_y) == CENTRE
    assert scored.first_goal == "b"
    assert scored.own_goals == (0, 0)


def test_serve_alternates_whoever_scores():
    states = play(new_match(seed=7, mode="1v1", serve_delay_ticks=0), tracking(0), 10_000)
    serves = [states[0]] + [
        after
        for before, after in zip(states, states[1:])
        if after.score_a + after.score_b > before.score_a + before.score_b
    ]
    assert [s.score_b for s in serves] == [0] * 6  # team a scores every goal
    assert [s.serving for s in serves] == ["a", "b", "a", "b", "a", "b"]
    assert all((s.direction_x > 0) == (s.serving == "a") for s in serves)


def test_after_a_goal_the_ball_waits_in_the_centre():
    state = ball_heading(
        new_match(seed=1, mode="1v1", serve_delay_ticks=30),
        x=100, y=50, direction=(-1, 0), speed=SERVE_SPEED,
    )
    states = play(state, idle, 100)
    goal = next(i for i, s in enumerate(states) if s.score_b == 1)
    waiting = states[goal : goal + 31]
    assert {(s.ball_x, s.ball_y) for s in waiting} == {CENTRE}
    assert states[goal + 31].ball_x != CENTRE[0]


def test_paddles_move_at_most_max_speed_within_their_lane():
    state = new_match(seed=1, mode="3v3")
    moved = step(state, (0.0, 1e300, 205.0, None, -1e300, 300.0))
    assert moved.paddles == (
        50 - MAX_PADDLE_SPEED,
        250 + MAX_PADDLE_SPEED,
        450 - MAX_PADDLE_SPEED,
        50.0,
        250 - MAX_PADDLE_SPEED,
        450 - MAX_PADDLE_SPEED,
    )
    far = play(state, lambda s: (-1.0, 1e9, 0.0, 1e9, 0.0, 1e9), 100)[-1]
    assert far.paddles == (0.0, 300.0, 400.0, 100.0, 200.0, 500.0)


@pytest.mark.parametrize("nonsense", [math.nan, math.inf, -math.inf])
def test_a_non_finite_input_leaves_the_paddle_where_it_was(nonsense):
    state = new_match(seed=1, mode="1v1")
    assert step(state, (nonsense, 260.0)).paddles == (250.0, 260.0)


def test_inputs_must_name_every_paddle():
    with pytest.raises(ValueError):
        step(new_match(seed=1, mode="3v3"), (None, None))


def test_the_ball_speeds_up_on_each_return_and_never_passes_the_cap():
    states = play(new_match(seed=3, mode="1v1"), tracking(0, 1), 3000)
    speeds = [s.speed for s in states]
    assert (states[-1].score_a, states[-1].score_b) == (0, 0)
    assert max(speeds) == MAX_BALL_SPEED
    changes = [(a, b) for a, b in zip(speeds, speeds[1:]) if a != b]
    assert len(changes) == math.ceil(math.log(MAX_BALL_SPEED / SERVE_SPEED, SPEED_GAIN))
    assert all(b == min(a * SPEED_GAIN, MAX_BALL_SPEED) for a, b in changes)


def test_a_tracking_player_beats_a_still_paddle_five_nil():
    states = play(new_match(seed=11, mode="1v1"), tracking(0), 10_000)
    final = until(states, lambda s: s.winner is not None)
    assert (final.score_a, final.score_b, final.winner) == (5, 0, "a")
    assert states[-1] is final  # a decided match no longer changes


def test_a_tracking_team_beats_a_still_team_in_3v3():
    states = play(new_match(seed=5, mode="3v3", serve_delay_ticks=10), tracking(3, 4, 5), 20_000)
    final = until(states, lambda s: s.winner is not None)
    assert (final.score_a, final.score_b, final.winner) == (0, 5, "b")


def test_3v3_a_ball_knocked_into_its_own_end_is_an_own_goal():
    """Past the face, the top paddle comes down on the ball and deflects it; it goes in."""
    state = ball_heading(
        new_match(seed=1, mode="3v3"), x=30, y=165, direction=(-1, 0), speed=SERVE_SPEED
    )
    states = play(state, lambda s: (100.0, None, None, None, None, None), 10)
    touched = states[1]
    assert touched.last_touch == 0
    assert touched.ball_y == touched.paddles[0] + PADDLE_HEIGHT + BALL_RADIUS
    scored = until(states, lambda s: s.score_b == 1)
    assert scored.score_a == 0
    assert scored.own_goals == (1, 0, 0, 0, 0, 0)
    assert own_goals_by_slot(scored) == {0: 1}
    assert scored.last_touch is None


def test_a_goal_after_the_other_team_touched_last_is_not_an_own_goal():
    state = ball_heading(
        new_match(seed=1, mode="3v3"), x=700, y=200, direction=(-1, 0), speed=SERVE_SPEED
    )  # between the top and middle paddles of team a
    state = msgspec.structs.replace(state, last_touch=3)
    scored = until(play(state, idle, 200), lambda s: s.score_b == 1)
    assert own_goals_by_slot(scored) == {}


# -- properties over random matches --------------------------------------------------


class Track(msgspec.Struct, frozen=True):
    """Follow the ball, ``offset`` px off the paddle's middle."""

    offset: float


Order = float | None | Track

orders = st.one_of(
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-100, 700),
    st.builds(Track, st.floats(-60, 60)),
    st.builds(Track, st.just(0.0)),
)


class Scenario(msgspec.Struct, frozen=True):
    seed: int
    mode: Mode
    score_to_win: int
    serve_delay_ticks: int
    script: tuple[tuple[int, tuple[Order, ...]], ...]  # (ticks to hold, orders per paddle)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    mode = draw(st.sampled_from(["1v1", "3v3"]))
    paddles = 2 if mode == "1v1" else 6
    script = draw(
        st.lists(
            st.tuples(st.integers(1, 40), st.tuples(*[orders] * paddles)),
            min_size=1,
            max_size=10,
        )
    )
    return Scenario(
        seed=draw(st.integers(-(2**70), 2**70)),
        mode=mode,
        score_to_win=draw(st.integers(1, 5)),
        serve_delay_ticks=draw(st.integers(0, 8)),
        script=tuple(script),
    )


TICKS = 400


def run(scenario: Scenario) -> list[MatchState]:
    timeline = [orders for hold, orders in scenario.script for _ in range(hold)]

    def player(state: MatchState) -> Inputs:
        wanted = timeline[state.tick % len(timeline)]
        return tuple(
            state.ball_y - PADDLE_HEIGHT / 2 + order.offset if isinstance(order, Track) else order
            for order in wanted
        )

    start = new_match(
        seed=scenario.seed,
        mode=scenario.mode,
        score_to_win=scenario.score_to_win,
        serve_delay_ticks=scenario.serve_delay_ticks,
    )
    return play(start, player, TICKS)


def goals(state: MatchState) -> int:
    return state.score_a + state.score_b


properties = settings(max_examples=150, deadline=None)


@properties
@given(scenarios())
def test_the_ball_never_leaves_the_field(scenario):
    for state in run(scenario):
        assert BALL_RADIUS <= state.ball_x <= FIELD_WIDTH - BALL_RADIUS
        assert BALL_RADIUS <= state.ball_y <= FIELD_HEIGHT - BALL_RADIUS


@properties
@given(scenarios())
def test_paddles_stay_in_their_lanes_and_under_max_speed(scenario):
    lanes = LANES[scenario.mode]
    states = run(scenario)
    for before, after in zip(states, states[1:]):
        for (low, high), old, new in zip(lanes, before.paddles, after.paddles):
            assert low <= new <= high
            assert abs(new - old) <= MAX_PADDLE_SPEED + 1e-9


@properties
@given(scenarios())
def test_the_ball_moves_as_a_pong_ball(scenario):
    for state in run(scenario):
        assert math.isclose(math.hypot(state.direction_x, state.direction_y), 1.0)
        assert abs(state.direction_x) >= MIN_DIRECTION_X
        assert SERVE_SPEED <= state.speed <= MAX_BALL_SPEED


@properties
@given(scenarios())
def test_each_goal_scores_one_point_and_re_serves_from_the_centre(scenario):
    states = run(scenario)
    for before, after in zip(states, states[1:]):
        scored = goals(after) - goals(before)
        assert scored in (0, 1)
        assert after.score_a >= before.score_a and after.score_b >= before.score_b
        if scored:
            assert (after.ball_x, after.ball_y) == CENTRE
            assert after.speed == SERVE_SPEED
            assert after.serve_wait == scenario.serve_delay_ticks
            assert after.serving != before.serving
        else:
            assert after.serving == before.serving
        assert sum(after.own_goals) <= goals(after)


@properties
@given(scenarios())
def test_a_won_match_stops_changing(scenario):
    states = run(scenario)
    for before, after in zip(states, states[1:]):
        target = scenario.score_to_win
        assert max(after.score_a, after.score_b) <= target
        if before.winner is not None:
            assert after == before
        elif after.winner is not None:
            assert after.winner == ("a" if after.score_a == target else "b")
        else:
            assert max(after.score_a, after.score_b) < target


@properties
@given(scenarios())
def test_the_same_seed_and_inputs_replay_to_the_bit(scenario):
    encode = msgspec.msgpack.encode
    assert [encode(s) for s in run(scenario)] == [encode(s) for s in run(scenario)]


@settings(max_examples=150, deadline=None)
@given(
    slope=st.floats(-MAX_BOUNCE_SLOPE, MAX_BOUNCE_SLOPE),
    # Short of the tips by a hair: where exactly a ball grazes a tip is up to rounding.
    contact_y=st.floats(250 - BALL_RADIUS + 1e-6, 350 + BALL_RADIUS - 1e-6),
    distance=st.floats(0, 300),
    speed=st.one_of(st.just(MAX_BALL_SPEED), st.floats(SERVE_SPEED, MAX_BALL_SPEED)),
)
def test_a_ball_on_course_for_the_face_comes_back_at_any_speed(
    slope, contact_y, distance, speed
):
    """Swept collision: wherever the last tick before the face ends, no ball tunnels."""
    norm = math.hypot(1, slope)
    direction = (-1 / norm, slope / norm)
    face_x = 30 + BALL_RADIUS  # where the ball's centre is when it touches the left face
    start = (face_x - direction[0] * distance, contact_y - direction[1] * distance)
    assume(BALL_RADIUS <= start[1] <= FIELD_HEIGHT - BALL_RADIUS)
    shot = ball_heading(
        new_match(seed=1, mode="1v1"), x=start[0], y=start[1], direction=direction, speed=speed
    )
    returned = until(play(shot, idle, 200), lambda s: s.direction_x > 0 or goals(s) > 0)
    assert goals(returned) == 0
    assert returned.last_touch == 0
