"""The live index: this node's public matches, each line as its match left it."""

from __future__ import annotations

import trio

from courtside.actors import LiveMatch, LiveMatches
from courtside.actors.live_matches import Phase


def line(code: str, *, score_a: int = 0, phase: Phase = "playing", private: bool = False) -> LiveMatch:
    return LiveMatch(code, "duel", (1, 2), 1, 5, score_a, 0, phase, private, None)


def public(live: LiveMatches) -> list[LiveMatch]:
    return sorted(live.public(), key=lambda match: match.code)


def test_the_index_lists_public_matches_with_their_latest_line() -> None:
    live = LiveMatches()
    for code in ("c", "a", "d", "b"):
        live.show(line(code, phase="waiting"))
    live.show(line("hidden", private=True))
    live.show(line("b", score_a=2))

    assert public(live) == [line("a", phase="waiting"), line("b", score_a=2),
                            line("c", phase="waiting"), line("d", phase="waiting")]


def test_an_ended_match_leaves_the_index() -> None:
    live = LiveMatches()
    live.show(line("a"))
    live.show(line("b"))
    live.remove("a")
    live.remove("a")  # a match ends once, but a second removal is harmless
    assert public(live) == [line("b")]


def test_a_match_writing_its_record_is_found_by_code_but_not_listed() -> None:
    live = LiveMatches()
    live.show(line("a", score_a=5, phase="finished"))
    live.show(line("b", phase="aborted"))
    live.show(line("c", phase="paused"))
    assert public(live) == [line("c", phase="paused")]
    assert live.get("a") == line("a", score_a=5, phase="finished")
    assert live.under_way() == {"a", "b", "c"}  # shutdown waits for their records too
    live.remove("a")
    assert live.get("a") is None


async def test_shutdown_waits_for_the_matches_under_way_and_no_others(autojump_clock) -> None:
    live = LiveMatches()
    live.show(line("playing"))
    live.show(line("paused", phase="paused"))
    live.show(line("waiting", phase="waiting"))
    under_way = live.under_way()
    assert under_way == {"playing", "paused"}
    ended_at: list[float] = []

    async def wait_for_them() -> None:
        await live.until_ended(under_way)
        ended_at.append(trio.current_time())

    start = trio.current_time()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(wait_for_them)
        for code in ("paused", "waiting", "playing"):
            await trio.sleep(1)
            live.remove(code)
        live.show(line("new"))  # started meanwhile: not what shutdown waits for
    assert ended_at == [start + 3]
