"""The rest of the product in the browser: guests, profiles, lobbies, rematches,
a player who reloads mid-match, and tournaments."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

from PIL import Image
from playwright.sync_api import Browser, expect

from .conftest import ServerThread
from .people import PASSWORD, Person, play_to_the_end


def test_a_guest_plays_at_once_then_registers_and_edits_the_profile(
    browser: Browser, server: str, artifacts: Path, tmp_path: Path
) -> None:
    guest = Person(browser, server, "guest", artifacts)
    page = guest.page
    page.goto("/")
    page.get_by_role("button", name="Play as a guest").click()
    expect(page).to_have_url(re.compile(r"#/play$"))
    expect(page.locator("#queue-ranked")).to_be_disabled()
    expect(page.locator(".user-chip .tag")).to_have_text("guest")
    guest.shot("01-guest")

    guest.go("#/me")
    page.fill("#f-username", "dana")
    page.fill("#f-password", PASSWORD)
    page.get_by_role("button", name="Register").click()
    expect(page).to_have_url(re.compile(r"#/play$"))
    expect(page.locator("#queue-ranked")).to_be_enabled()
    expect(page.locator(".user-chip .tag")).to_have_count(0)

    guest.go("#/me")
    page.fill("#f-nickname", "Dana the Great")
    page.fill("#f-bio", "  Left-handed, right-minded.  ")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#me-name")).to_have_text("Dana the Great")
    expect(page.locator(".profile-head h2")).to_have_text("Dana the Great")
    expect(page.locator(".profile-head .bio")).to_have_text("Left-handed, right-minded.")
    # to_have_text ignores surrounding spaces; the field's value shows what was stored: trimmed.
    expect(page.locator("#f-bio")).to_have_value("Left-handed, right-minded.")
    picture = tmp_path / "me.png"
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), (230, 60, 120)).save(buffer, "PNG")
    picture.write_bytes(buffer.getvalue())
    page.set_input_files("#avatar-file", str(picture))
    expect(page.locator("#toasts")).to_contain_text("Avatar updated")
    expect(page.locator(".profile-head img.avatar")).not_to_have_attribute("src", re.compile("default"))
    guest.shot("02-profile")
    # A bad password comes back on its field, from the server's envelope.
    page.fill("#f-old_password", "wrong-password-1")
    page.fill("#f-password", "another-pass-42")
    change = page.get_by_role("button", name="Change password")
    change.click()
    card = page.locator(".card", has=change)
    expect(card.locator(".form-error")).to_have_text("Incorrect password.")
    expect(page.locator("#me-name")).to_have_text("Dana the Great")  # still logged in
    guest.leave()


def test_a_queue_that_restarts_tells_the_waiting_player_who_joins_again(
    browser: Browser, server_thread: ServerThread, artifacts: Path
) -> None:
    guest = Person(browser, server_thread.node.http_url, "waiting", artifacts)
    page = guest.page
    page.goto("/")
    page.get_by_role("button", name="Play as a guest").click()
    page.locator("#queue-duel").click()
    status = page.locator("#queue-status")
    expect(status).to_contain_text("Looking for a duel opponent")
    assert server_thread.call(lambda: server_thread.node.services.supervisor.kill("queue:duel"))
    expect(page.locator("#toasts")).to_contain_text("The duel queue restarted and lost your place")
    expect(status).to_be_empty()
    guest.shot("01-queue-lost")
    give_up = time.monotonic() + 10
    while True:  # until the restarted queue takes joins again
        page.locator("#queue-duel").click()
        try:
            expect(status).to_contain_text("Looking for a duel opponent", timeout=500)
            break
        except AssertionError:
            assert time.monotonic() < give_up, "the restarted queue never took the join"
    guest.leave()


def test_a_lobby_match_a_reload_mid_match_and_a_rematch(
    browser: Browser, server: str, artifacts: Path
) -> None:
    alice, bob = Person(browser, server, "alice", artifacts), Person(browser, server, "bob", artifacts)
    for person in (alice, bob):
        person.sign_up()
    alice.page.select_option("#f-game_mode", "custom_game")
    alice.page.select_option("#f-match_type", "1v1")
    alice.page.fill("#f-score_to_win", "2")
    alice.page.get_by_role("button", name="Create lobby").click()
    expect(alice.page).to_have_url(re.compile(r"#/lobby$"))
    code = alice.page.locator(".tag", has_text="code").inner_text().removeprefix("code ")
    bob.page.fill("#f-code", code)
    bob.page.get_by_role("button", name="Join").click()
    expect(bob.page).to_have_url(re.compile(r"#/lobby$"))
    expect(alice.page.locator("#lobby")).to_contain_text("bob")  # live, through lobby-join
    alice.shot("01-lobby")
    for person in (alice, bob):
        person.page.locator("#lobby-ready").click()
    for person in (alice, bob):
        expect(person.page).to_have_url(re.compile(r"#/game/[\w-]+\?ws="))
        person.wait_until_playing()

    # Bob reloads the page mid-match: Alice sees the pause, Bob comes back into the match.
    bob.page.reload()
    expect(alice.page.locator("#overlay")).to_contain_text("Opponent disconnected")
    alice.shot("02-paused")
    bob.wait_until_playing()
    expect(alice.page.locator("#overlay")).to_be_hidden()

    play_to_the_end(alice, bob)
    for person in (alice, bob):
        expect(person.page.locator("#result")).to_be_visible()
    assert alice.game()["result"]["reason"] == "score"
    first = alice.page.url

    # Both ask for a rematch: a new match starts for both.
    alice.page.locator("#rematch").click()
    expect(alice.page.locator("#rematch")).to_have_text("Waiting for your opponent…")
    bob.page.locator("#rematch").click()
    for person in (alice, bob):
        expect(person.page).not_to_have_url(first)
        expect(person.page).to_have_url(re.compile(r"#/game/[\w-]+\?ws="))
        person.wait_until_playing()
    alice.shot("03-rematch")
    alice.page.once("dialog", lambda dialog: dialog.accept())
    alice.page.locator("#forfeit").click()
    expect(bob.page.locator("#result")).to_have_attribute("data-outcome", "won")
    expect(bob.page.locator("#result")).to_contain_text("by forfeit")

    for person in (alice, bob):
        person.leave()


def test_a_tournament_is_created_and_joined_by_code(browser: Browser, server: str, artifacts: Path) -> None:
    alice, bob = Person(browser, server, "alice", artifacts), Person(browser, server, "bob", artifacts)
    for person in (alice, bob):
        person.sign_up()
    alice.go("#/tournaments")
    alice.page.fill("#f-name", "Friday Cup")
    alice.page.fill("#f-alias", "Ace")
    alice.page.get_by_role("button", name="Create").click()
    expect(alice.page).to_have_url(re.compile(r"#/tournament/[\w-]+$"))
    code = alice.page.url.rsplit("/", 1)[1]
    expect(alice.page.locator("#tournament")).to_contain_text("1/4 players")

    bob.go("#/tournaments")
    expect(bob.page.locator("#tournament-results")).to_contain_text("Friday Cup")
    bob.page.fill("#f-code", code)
    bob.page.get_by_role("button", name="Go").click()
    expect(bob.page.get_by_role("heading", name="Join this tournament")).to_be_visible()
    bob.page.fill("#f-alias", "Bolt")
    bob.page.get_by_role("button", name="Join").click()
    expect(bob.page.locator("#tournament")).to_contain_text("2/4 players")
    expect(alice.page.locator("#tournament")).to_contain_text("Bolt")  # live, through tournament-join
    alice.shot("01-tournament")

    # Two more join (through the SDK in their pages): full, it starts and draws its bracket.
    others = [Person(browser, server, name, artifacts) for name in ("carol", "dan")]
    for person in others:
        person.sign_up()
        person.page.evaluate("code => courtsideApp.client.request('POST', `/api/play/tournament/${code}/`, {})", code)
    bracket = alice.page.locator("#bracket")
    expect(bracket).to_be_visible()
    expect(bracket.locator(".bracket-match")).to_have_count(3)  # two semi-finals and the final
    expect(bracket).to_contain_text("Ace")
    alice.shot("02-bracket")
    # The first round's matches start for their players.
    expect(alice.page).to_have_url(re.compile(r"#/game/[\w-]+\?ws="), timeout=20_000)
    for person in (alice, bob, *others):
        person.leave()


def test_a_clash_lobby_plays_on_the_3v3_field(browser: Browser, server: str, artifacts: Path) -> None:
    names = ("ann", "ben", "cat", "dan", "eve", "fay")
    people = [Person(browser, server, name, artifacts) for name in names]
    for person in people:
        person.sign_up()
    host = people[0]
    host.page.select_option("#f-game_mode", "clash")
    host.page.get_by_role("button", name="Create lobby").click()
    expect(host.page).to_have_url(re.compile(r"#/lobby$"))
    code = host.page.locator(".tag", has_text="code").inner_text().removeprefix("code ")
    for person in people[1:]:
        person.page.fill("#f-code", code)
        person.page.get_by_role("button", name="Join").click()
        expect(person.page).to_have_url(re.compile(r"#/lobby$"))
    expect(host.page.locator("#lobby")).to_contain_text("6/6 players")
    host.shot("01-clash-lobby")
    for person in people:
        person.page.locator("#lobby-ready").click()
    for person in people:
        person.wait_until_playing()
    host.page.wait_for_function("() => courtsideApp.game.paddles === 6")
    # Each player's paddle keeps to its lane: the top lane's holder cannot leave it.
    host.page.keyboard.down("ArrowDown")
    host.page.wait_for_timeout(1500)
    host.page.keyboard.up("ArrowDown")
    top_lane = host.game()["myY"]
    assert top_lane == 100, f"paddle top at {top_lane}, past its lane"
    host.page.wait_for_function("() => courtsideApp.game.serverY === 100")  # the server agrees
    host.shot("02-3v3-field")
    for person in people:
        person.leave()
