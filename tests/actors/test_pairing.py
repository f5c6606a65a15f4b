"""Matchmaking pairs: closest trophies first, within windows that widen with waiting."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from courtside.actors.pairing import Pairing, Waiting, ladder_order, pairs, window


def test_a_lone_player_stays_in_the_queue():
    assert pairs([Waiting(1, 1000, 0.0)], now=600.0) == []
    assert pairs([], now=0.0) == []


def test_the_closest_players_are_paired_first():
    queue = [
        Waiting(1, 1000, 0.0),
        Waiting(2, 1045, 0.0),
        Waiting(3, 1040, 0.0),
        Waiting(4, 1010, 0.0),
    ]
    # 1040-1045 beat 1010-1040 (30) although 1010-1040 would leave 1000 with no one.
    assert pairs(queue, now=0.0) == [(2, 3), (1, 4)]


def test_a_closer_pair_takes_a_player_from_a_wider_one():
    queue = [Waiting(1, 1000, 0.0), Waiting(2, 1030, 0.0), Waiting(3, 1050, 0.0)]
    assert pairs(queue, now=0.0) == [(2, 3)]


def test_windows_widen_with_waiting():
    queue = [Waiting(1, 1000, 0.0), Waiting(2, 1120, 0.0)]
    assert pairs(queue, now=4.9) == []
    assert pairs(queue, now=5.0) == []  # ±100 is not enough yet
    assert pairs(queue, now=10.0) == [(1, 2)]


def test_window_sizes_follow_the_design():
    player = Waiting(1, 1000, joined_at=100.0)
    assert [window(player, now) for now in (100.0, 104.9, 105.0, 112.0, 130.0)] == [
        50, 50, 100, 150, 350,
    ]
    assert window(player, now=90.0) == 50  # a clock that stepped back
    assert window(player, 110.0, base_window=10, widen_by=5, widen_every=1.0) == 60


def test_both_players_must_accept_the_difference():
    veteran = Waiting(1, 1000, joined_at=0.0)  # ±350 after 30 s
    newcomer = Waiting(2, 1200, joined_at=30.0)  # ±50
    assert pairs([veteran, newcomer], now=30.0) == []
    assert pairs([veteran, newcomer], now=45.0) == [(1, 2)]  # the newcomer is at ±200


def test_a_tie_goes_to_the_pair_that_waited_longest():
    queue = [Waiting(1, 1000, 5.0), Waiting(2, 1020, 0.0), Waiting(3, 1040, 2.0)]
    assert pairs(queue, now=5.0) == [(2, 3)]


def test_the_longer_waiter_comes_first_in_a_pair():
    queue = [Waiting(7, 1000, 3.0), Waiting(8, 1000, 1.0)]
    assert pairs(queue, now=4.0) == [(8, 7)]


@st.composite
def queues(draw: st.DrawFn) -> list[Waiting]:
    user_ids = draw(st.lists(st.integers(1, 10_000), unique=True, max_size=40))
    return [
        Waiting(user_id, draw(st.integers(0, 2500)), draw(st.floats(0, 60)))
        for user_id in user_ids
    ]


def acceptable(one: Waiting, other: Waiting, now: float) -> bool:
    difference = abs(one.trophies - other.trophies)
    return difference <= window(one, now) and difference <= window(other, now)


@settings(max_examples=200)
@given(queue=queues(), now=st.floats(0, 90))
def test_every_pair_is_acceptable_and_no_player_is_paired_twice(queue, now):
    by_id = {player.user_id: player for player in queue}
    chosen = pairs(queue, now)
    paired = [user_id for pair in chosen for user_id in pair]
    assert len(paired) == len(set(paired))
    assert set(paired) <= set(by_id)
    for first, second in chosen:
        assert acceptable(by_id[first], by_id[second], now)
        assert by_id[first].joined_at <= by_id[second].joined_at


@settings(max_examples=200)
@given(queue=queues(), now=st.floats(0, 90))
def test_no_two_players_left_over_could_have_been_paired(queue, now):
    paired = {user_id for pair in pairs(queue, now) for user_id in pair}
    left = [player for player in queue if player.user_id not in paired]
    for i, one in enumerate(left):
        for other in left[i + 1 :]:
            assert not acceptable(one, other, now)


@settings(max_examples=200)
@given(queue=queues(), now=st.floats(0, 90), data=st.data())
def test_the_order_of_the_queue_does_not_matter(queue, now, data):
    shuffled = data.draw(st.permutations(queue))
    assert pairs(shuffled, now) == pairs(queue, now)


def every_acceptable_pair_closest_first(queue: list[Waiting], now: float) -> list[tuple[int, int]]:
    """The greedy choice spelled out over every pair: the reference ``pairs`` must match."""
    seniority = lambda player: (player.joined_at, player.user_id)  # noqa: E731
    candidates = []
    for i, one in enumerate(queue):
        for other in queue[i + 1 :]:
            if acceptable(one, other, now):
                first, second = sorted((one, other), key=seniority)
                difference = abs(one.trophies - other.trophies)
                candidates.append((difference, seniority(first), seniority(second)))
    paired: set[int] = set()
    chosen = []
    for _, (_, first), (_, second) in sorted(candidates):
        if first not in paired and second not in paired:
            paired.update((first, second))
            chosen.append((first, second))
    return chosen


@st.composite
def crowded_queues(draw: st.DrawFn) -> list[Waiting]:
    """Few trophy counts and few join times: many ties, many equal windows."""
    user_ids = draw(st.lists(st.integers(1, 10_000), unique=True, max_size=60))
    return [
        Waiting(user_id, draw(st.sampled_from([1000, 1010, 1050, 1100, 1300])),
                float(draw(st.integers(0, 6)) * 5))
        for user_id in user_ids
    ]


@settings(max_examples=300)
@given(queue=st.one_of(queues(), crowded_queues()), now=st.floats(0, 90))
def test_pairs_are_the_closest_first_greedy_choice(queue, now):
    chosen, expected = pairs(queue, now), every_acceptable_pair_closest_first(queue, now)
    assert set(chosen) == set(expected)
    # Closest first; pairs of equal trophies may come in any order among themselves.
    differences = {pair: difference(queue, pair) for pair in expected}
    assert [differences[pair] for pair in chosen] == sorted(differences[pair] for pair in chosen)


def difference(queue: list[Waiting], pair: tuple[int, int]) -> int:
    trophies = {player.user_id: player.trophies for player in queue}
    return abs(trophies[pair[0]] - trophies[pair[1]])


def test_pairs_come_in_slices_of_bounded_work():
    queue = [Waiting(user_id, 1000 + user_id % 7, float(user_id % 13)) for user_id in range(1, 400)]
    pairing = Pairing(sorted(queue, key=ladder_order), now=30.0)
    found = []
    while not pairing.finished:
        done = pairing.operations
        found += pairing.advance(budget=64)
        assert pairing.operations - done <= 64 + 4 * 10  # at most one unit of work past it
    assert found == pairs(queue, now=30.0)


def operations_to_pair(queue: list[Waiting], now: float) -> int:
    pairing = Pairing(sorted(queue, key=ladder_order), now)
    pairing.advance(budget=None)
    return pairing.operations


def test_a_wave_of_newcomers_with_equal_trophies_costs_linear_work():
    # Every guest starts at 1000: the quadratic case of comparing everyone in a window.
    for size in (1024, 4096):
        wave = [Waiting(user_id, 1000, joined_at=user_id / size) for user_id in range(size)]
        assert operations_to_pair(wave, now=1.0) <= 2 * size


def test_long_waiters_in_one_wide_window_cost_n_log_n_work():
    # After 10 minutes everyone accepts everyone: each player's window holds the queue.
    for size in (1024, 4096):
        queue = [Waiting(user_id, 1000 + user_id, joined_at=0.0) for user_id in range(size)]
        assert operations_to_pair(queue, now=600.0) <= 8 * size * size.bit_length()
