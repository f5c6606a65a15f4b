"""People at their browsers, for the browser tests: one context each, and a match player."""

from __future__ import annotations

import re
import time
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, expect

PASSWORD = "correct-horse-42"
# Long enough for a match to 5 with one player tracking the ball and the other not.
MATCH_TIMEOUT_S = 180


class Person:
    """One browser context: a person at their own computer."""

    def __init__(self, browser: Browser, server: str, name: str, artifacts: Path) -> None:
        self.name = name
        self.context: BrowserContext = browser.new_context(base_url=server, viewport={"width": 1280, "height": 860})
        self.page: Page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self._artifacts = artifacts

    def shot(self, step: str) -> None:
        self.page.screenshot(path=str(self._artifacts / f"{step}-{self.name}.png"))

    def sign_up(self) -> None:
        page = self.page
        page.goto("/")
        expect(page).to_have_url(re.compile(r"#/login$"))
        page.get_by_role("link", name="Create an account").click()
        # The login form has a username field too: filling before the sign-up form
        # replaced it typed into the old one, and the name was lost.
        expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
        page.fill("#f-username", self.name)
        page.fill("#f-email", f"{self.name}@example.com")
        page.fill("#f-password", PASSWORD)
        self.shot("01-sign-up")
        page.get_by_role("button", name="Sign up").click()
        expect(page.locator("#me-name")).to_have_text(self.name)
        expect(page).to_have_url(re.compile(r"#/play$"))

    def go(self, hash_route: str) -> None:
        self.page.evaluate("route => { location.hash = route }", hash_route)

    def game(self) -> dict:
        return self.page.evaluate("() => courtsideApp.game")

    def wait_until_playing(self) -> None:
        self.page.wait_for_function(
            "() => courtsideApp.game && courtsideApp.game.phase === 'playing'", timeout=45_000)

    def leave(self) -> None:
        """Close the context; the page must not have thrown meanwhile."""
        assert self.errors == [], f"{self.name}'s page threw: {self.errors}"
        self.context.close()


def play_to_the_end(tracker: Person, idle: Person) -> None:
    """Key presses only: the tracker follows the ball, the other parks at the top."""
    idle.page.keyboard.down("ArrowUp")
    held: str | None = None
    deadline = time.monotonic() + MATCH_TIMEOUT_S
    while time.monotonic() < deadline:
        game = tracker.game()
        if game["result"] is not None:
            break
        want = None
        if game["ball"] is not None and game["myY"] is not None:
            centre = game["myY"] + 50
            if game["ball"]["y"] < centre - 20:
                want = "ArrowUp"
            elif game["ball"]["y"] > centre + 20:
                want = "ArrowDown"
        if want != held:
            if held is not None:
                tracker.page.keyboard.up(held)
            if want is not None:
                tracker.page.keyboard.down(want)
            held = want
        tracker.page.wait_for_timeout(15)
    if held is not None:
        tracker.page.keyboard.up(held)
    idle.page.keyboard.up("ArrowUp")
    assert tracker.game()["result"] is not None, "the match did not end in time"
