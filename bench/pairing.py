"""Matchmaking pair selection: one pass over a wave of guests with equal trophies.

Every new guest has 1000 trophies, the case that made pairing quadratic. For each
wave size, the pass of the revision under test (``--before``, default the commit
before this bench's pairing rewrite) and of the working tree: the whole pass, and for
the working tree the longest slice the matchmaker runs between two checkpoints
(``matchmaker.PAIRING_SLICE`` units). Pure Python on one core, no server: seconds.

    .venv/bin/python bench/pairing.py [--sizes 256,512,1024] [--before 88d6b64] [--out FILE]
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import git_revision, machine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from courtside.actors.matchmaker import PAIRING_SLICE  # noqa: E402
from courtside.actors.pairing import Pairing, Waiting, ladder_order  # noqa: E402


def pairing_at(revision: str):
    """The pairing module as it was at ``revision``."""
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{revision}:courtside/actors/pairing.py"],
        capture_output=True, text=True, check=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "pairing_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("pairing_before", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def wave(size: int) -> list[Waiting]:
    return [Waiting(user_id, 1000, joined_at=user_id / size) for user_id in range(size)]


def timed(work) -> float:
    began = time.perf_counter()
    work()
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="256,512,1024")
    parser.add_argument("--before", default="88d6b64")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    before = pairing_at(args.before)
    rows = []
    for size in (int(size) for size in args.sizes.split(",")):
        players = wave(size)
        old = timed(lambda: before.pairs(players, now=1.0))
        ladder = sorted(players, key=ladder_order)
        new = timed(lambda: Pairing(ladder, now=1.0).advance(budget=None))
        pairing, longest = Pairing(ladder, now=1.0), 0.0
        while not pairing.finished:
            longest = max(longest, timed(lambda: pairing.advance(PAIRING_SLICE)))
        rows.append({"waiting": size, "before_pass_ms": round(old * 1e3, 2),
                     "after_pass_ms": round(new * 1e3, 2), "after_longest_slice_ms": round(longest * 1e3, 3),
                     "after_operations": pairing.operations})
    print(f"{'waiting':>8} {'before pass ms':>15} {'after pass ms':>14} {'longest slice ms':>17} {'operations':>11}")
    for row in rows:
        print(f"{row['waiting']:>8} {row['before_pass_ms']:>15} {row['after_pass_ms']:>14} "
              f"{row['after_longest_slice_ms']:>17} {row['after_operations']:>11}")
    if args.out:
        args.out.write_text(json.dumps({
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "machine": machine(), "revision": git_revision(ROOT), "before": args.before, "rows": rows,
        }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
