"""The web client in a real Chromium against a real server (issue 17, point 5).

Two people sign up, become friends, chat (the message arrives live, the unread
badge clears when it is read), one invites the other from the chat, both play
the match to its end with key presses, and both find it in their history; a
third person watches the match live. Each step leaves a screenshot in
tests/browser/artifacts/<test name>/.
"""

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


def test_friends_chat_invite_play_history_and_a_spectator(browser: Browser, server: str, artifacts: Path) -> None:
    alice, bob, carol = (Person(browser, server, name, artifacts) for name in ("alice", "bob", "carol"))
    for person in (alice, bob, carol):
        person.sign_up()
    alice.shot("02-signed-up")

    # Friends: Alice finds Bob and asks; Bob accepts; each sees the other online.
    alice.go("#/friends")
    alice.page.fill("#user-search", "bob")
    alice.page.locator('#search-results li[data-username="bob"] .add-friend').click()
    expect(alice.page.locator("#toasts")).to_contain_text("Friend request sent to bob")
    bob.go("#/friends")
    bob.page.locator("#received-requests .accept-friend").click()
    expect(bob.page.locator('#friends li[data-username="alice"] .dot')).to_have_attribute("data-presence", "online")
    expect(alice.page.locator('#friends li[data-username="bob"] .dot')).to_have_attribute("data-presence", "online")
    alice.shot("03-friends")
    bob.shot("03-friends")

    # Chat: Alice writes while Bob looks elsewhere; his unread badge counts it, live.
    alice.page.locator('#friends li[data-username="bob"]').get_by_role("button", name="Message").click()
    expect(alice.page).to_have_url(re.compile(r"#/chat/\d+$"))
    alice.page.fill("#composer", "Hi Bob! Up for a game?")
    alice.page.press("#composer", "Enter")
    expect(alice.page.locator("#messages")).to_contain_text("Hi Bob! Up for a game?")
    expect(bob.page.locator("#chat-badge")).to_have_text("1")
    expect(bob.page.locator("#chat-badge")).to_be_visible()
    bob.shot("04-unread-badge")

    # Bob opens the chat: the message is there and the badge clears.
    bob.page.locator("a.nav-link", has_text="Chat").click()
    bob.page.locator(".chat-item", has_text="alice").click()
    expect(bob.page.locator("#messages")).to_contain_text("Hi Bob! Up for a game?")
    expect(bob.page.locator("#chat-badge")).to_be_hidden()
    # Alice types: Bob sees it.
    alice.page.locator("#composer").press_sequentially("Ready when", delay=60)
    expect(bob.page.locator("#typing")).to_have_text("alice is typing…")
    bob.shot("05-chat-read-typing")
    alice.page.fill("#composer", "")

    # Alice invites Bob from the chat; Bob accepts in the chat; both land in the match.
    alice.page.locator("#invite-to-play").click()
    invite = bob.page.locator(".invite-card", has_text="invites you")
    expect(invite).to_be_visible()
    bob.shot("06-invitation")
    invite.locator(".accept-invite").click()
    for person in (alice, bob):
        expect(person.page).to_have_url(re.compile(r"#/game/[\w-]+\?ws="))
    code = re.search(r"#/game/([\w-]+)", alice.page.url).group(1)

    # Carol watches: the live match is listed, she opens it as a spectator.
    carol.go("#/watch")
    carol.page.locator(f'#live-matches li[data-code="{code}"]').get_by_role("link", name="Watch").click()
    expect(carol.page.locator("#game-status")).to_have_text("Spectating")
    carol.shot("07-spectating")

    for person in (alice, bob):
        person.page.wait_for_function("() => courtsideApp.game && courtsideApp.game.phase === 'playing'", timeout=20_000)
    alice.shot("08-playing")

    _play_to_the_end(alice, bob)
    for person in (alice, bob, carol):
        expect(person.page.locator("#result")).to_be_visible()
        person.shot("09-result")
    outcomes = {alice.page.locator("#result").get_attribute("data-outcome"),
                bob.page.locator("#result").get_attribute("data-outcome")}
    assert outcomes == {"won", "lost"}
    final = alice.game()["result"]
    assert max(final["initiator_score"], final["invited_score"]) == 5
    assert final["reason"] == "score"
    expect(carol.page.locator("#result")).to_contain_text("wins")

    # Both find the match in their history, each from their own side.
    for person in (alice, bob):
        me_id = person.page.evaluate("() => courtsideApp.me.id")
        mine, theirs = ((final["initiator_score"], final["invited_score"]) if me_id == final["initiator_id"]
                        else (final["invited_score"], final["initiator_score"]))
        person.page.get_by_role("link", name="Your history").click()
        line = person.page.locator(f'#history li[data-code="{code}"]')
        expect(line).to_have_attribute("data-outcome", "win" if me_id == final["winner_id"] else "loss")
        expect(line).to_contain_text(f"{mine} – {theirs}")
        person.shot("10-history")

    for person in (alice, bob, carol):
        assert person.errors == [], f"{person.name}'s page threw: {person.errors}"
        person.context.close()


def _play_to_the_end(tracker: Person, idle: Person) -> None:
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
