"""The web client in headless Chromium against a live server: what a player feels.

Figures:
- page load to interactive: from navigation start to the client's first screen drawn
  and answering (its ``courtside:interactive`` performance mark), for the login page
  (a cold context) and for the play screen of a logged-in player (a reload);
- frames per second of the game view during a match (``requestAnimationFrame``);
- key press to confirmed paddle: from a key press to the first frame that draws a
  server state showing the paddle moving that way, p50 / p99.

Two players meet in the duel queue; one follows the ball with the arrow keys (each
change of direction is a key press, hence a sample), the other parks at the top, so
the match ends at 5. ``--matches N`` plays N such matches in a row.

    .venv/bin/python bench/web_client.py [--loads 10] [--matches 2]

The server runs pinned to core 0 (``bench/auth.py``'s ServerUnderTest); Chromium
runs unpinned. Needs /usr/bin/chromium and the ``test`` extra (Playwright).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from auth import ServerUnderTest, git_revision, machine
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
PASSWORD = "bench-pass-42"
MATCH_TIMEOUT_S = 240
INTERACTIVE = "() => performance.getEntriesByName('courtside:interactive')[0]?.startTime ?? null"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def interactive_ms(page: Page) -> float:
    # A function, not an expression: the page's CSP forbids eval.
    page.wait_for_function("() => performance.getEntriesByName('courtside:interactive').length > 0", timeout=30_000)
    return page.evaluate(INTERACTIVE)


def sign_up(browser: Browser, base_url: str, name: str) -> Page:
    page = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 860}).new_page()
    page.goto("/#/signup")
    page.fill("#f-username", name)
    page.fill("#f-password", PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_selector("#me-name")
    return page


def page_loads(browser: Browser, base_url: str, loads: int) -> dict[str, list[float]]:
    cold, logged_in = [], []
    for _ in range(loads):
        context = browser.new_context(base_url=base_url)
        page = context.new_page()
        page.goto("/")
        cold.append(interactive_ms(page))
        context.close()
    player = sign_up(browser, base_url, "loader")
    for _ in range(loads):
        player.reload()
        logged_in.append(interactive_ms(player))
    player.context.close()
    return {"login page, cold": cold, "play screen, logged in": logged_in}


def play_match(tracker: Page, idle: Page) -> dict[str, object]:
    for page in (tracker, idle):
        page.evaluate("() => courtsideApp.client.play.queue('duel')")
    for page in (tracker, idle):
        page.wait_for_function("() => courtsideApp.game && courtsideApp.game.phase === 'playing'", timeout=30_000)
    idle.keyboard.down("ArrowUp")
    held, fps, started = None, [], time.monotonic()
    next_fps = started + 1
    while time.monotonic() - started < MATCH_TIMEOUT_S:
        game = tracker.evaluate("() => courtsideApp.game")
        if game["result"] is not None:
            break
        if time.monotonic() >= next_fps and game["fps"]:
            fps.append(game["fps"])
            next_fps += 1
        want = None
        if game["ball"] is not None and game["myY"] is not None:
            centre = game["myY"] + 50
            want = "ArrowUp" if game["ball"]["y"] < centre - 20 else "ArrowDown" if game["ball"]["y"] > centre + 20 else None
        if want != held:
            if held:
                tracker.keyboard.up(held)
            if want:
                tracker.keyboard.down(want)
            held = want
        tracker.wait_for_timeout(15)
    if held:
        tracker.keyboard.up(held)
    idle.keyboard.up("ArrowUp")
    game = tracker.evaluate("() => courtsideApp.game")
    if game["result"] is None:
        raise RuntimeError("the match did not end in time")
    return {"seconds": time.monotonic() - started, "fps": fps, "confirmations": game["confirmations"],
            "frames": game["frames"], "result": game["result"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=10, help="page loads measured per kind")
    parser.add_argument("--matches", type=int, default=2, help="matches played")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "web_client.json")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="courtside-bench-web-"))
    server = ServerUnderTest(ROOT / ".venv" / "bin" / "courtside", work)
    server.start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
            loads = page_loads(browser, server.base_url, args.loads)
            tracker, idle = (sign_up(browser, server.base_url, name) for name in ("tracker", "idler"))
            matches = [play_match(tracker, idle) for _ in range(args.matches)]
            version = browser.version
            browser.close()
    finally:
        status = server.stop()
        server.remove_data_dir()

    fps = [f for m in matches for f in m["fps"]]
    confirmations = [c for m in matches for c in m["confirmations"]]
    report = {
        "revision": git_revision(ROOT), "machine": machine(), "chromium": version, "server_exit": status,
        "page_load_ms": {kind: {"p50": statistics.median(v), "max": max(v), "n": len(v)} for kind, v in loads.items()},
        "fps": {"mean": statistics.fmean(fps), "min": min(fps), "samples": len(fps)},
        "key_to_confirmed_ms": {"p50": percentile(confirmations, 0.5), "p99": percentile(confirmations, 0.99),
                                "max": max(confirmations), "n": len(confirmations)},
        "matches": [{"seconds": round(m["seconds"], 1), "frames": m["frames"], "result": m["result"]} for m in matches],
    }
    args.json.write_text(json.dumps(report, indent=2))
    for kind, figures in report["page_load_ms"].items():
        print(f"page load to interactive, {kind}: p50 {figures['p50']:.0f} ms, max {figures['max']:.0f} ms (n={figures['n']})")
    print(f"game view: {report['fps']['mean']:.1f} fps mean, {report['fps']['min']:.1f} min ({len(fps)} one-second samples)")
    k = report["key_to_confirmed_ms"]
    print(f"key press to confirmed paddle drawn: p50 {k['p50']:.1f} ms, p99 {k['p99']:.1f} ms, max {k['max']:.1f} ms (n={k['n']})")
    print(f"server exit status {status}; JSON in {args.json}")
    return 0 if status == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
