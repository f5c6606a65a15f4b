"""The web client in a real Chromium against a real server (issue 17, point 5).

Two people sign up, become friends, chat (the message arrives live, the unread
badge clears when it is read), one invites the other from the chat, both play
the match to its end with key presses, and both find it in their history; a
third person watches the match live. Each step leaves a screenshot in
tests/browser/artifacts/<test name>/.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, expect

from .people import Person, play_to_the_end


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
        person.wait_until_playing()
    alice.shot("08-playing")

    play_to_the_end(alice, bob)
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

    # The duel counts on the leaderboard.
    alice.go("#/leaderboard")
    alice.page.get_by_role("button", name="Duel").click()
    expect(alice.page.locator("#leaderboard tbody tr").first).to_contain_text(
        "alice" if final["winner_id"] == final["initiator_id"] else "bob")
    alice.shot("11-leaderboard")

    for person in (alice, bob, carol):
        person.leave()
