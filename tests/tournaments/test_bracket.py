"""Bracket building: seeds meet as late as possible, byes go to the best seeds."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from courtside.actors.bracket import (
    TOURNAMENT_SIZES,
    bracket_size,
    first_round,
    next_slot,
    round_name,
    rounds_for,
    seed_order,
    time_up_winner,
)


def test_eight_seeds_meet_in_the_classic_order() -> None:
    assert seed_order(8) == [1, 8, 4, 5, 2, 7, 3, 6]
    assert first_round([11, 12, 13, 14]) == [(11, 14), (12, 13)]


def test_five_players_give_the_three_best_seeds_a_bye() -> None:
    assert first_round([1, 2, 3, 4, 5]) == [(1, None), (4, 5), (2, None), (3, None)]
    assert [round_name(r, rounds_for(5)) for r in (1, 2, 3)] == ["quarter-final", "semi-final", "final"]
    assert round_name(1, rounds_for(16)) == "round-of-16"


@given(st.integers(min_value=2, max_value=max(TOURNAMENT_SIZES)))
def test_every_player_appears_once_and_no_match_is_empty(players: int) -> None:
    pairs = first_round(list(range(100, 100 + players)))
    seen = [p for pair in pairs for p in pair if p is not None]
    assert sorted(seen) == list(range(100, 100 + players))
    assert len(pairs) == bracket_size(players) // 2
    assert all(a is not None for a, _ in pairs)  # the better seed is team a, never a bye
    byes = sum(b is None for _, b in pairs)
    assert byes == bracket_size(players) - players


def test_winners_move_to_half_the_position() -> None:
    assert [next_slot(p) for p in range(4)] == [(0, "a"), (0, "b"), (1, "a"), (1, "b")]


def test_a_match_stopped_by_the_clock_goes_by_score_then_first_goal_then_seed() -> None:
    assert time_up_winner(2, 1, "b") == "a"
    assert time_up_winner(1, 3, "a") == "b"
    assert time_up_winner(2, 2, "b") == "b"
    assert time_up_winner(0, 0, None) == "a"
