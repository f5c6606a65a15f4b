"""Account field rules (DESIGN.md §4) as plain functions."""

from __future__ import annotations

import pytest

from courtside.http.auth import rules


@pytest.mark.parametrize("username", ["abc", "a_b-c", "A" * 20, "Player_42"])
def test_valid_usernames(username: str) -> None:
    assert rules.username_errors(username) == []


@pytest.mark.parametrize("username", ["ab", "A" * 21, "with space", "émile", "semi;colon", ""])
def test_invalid_usernames(username: str) -> None:
    assert rules.username_errors(username)


def test_password_rules_each_name_their_reason() -> None:
    assert rules.password_errors("wonderland42", "alice") == []
    assert rules.password_errors("short1", "alice") == ["Password must be 8-128 characters."]
    assert rules.password_errors("lettersonly", "alice") == [
        "Password must contain at least one letter and one digit."
    ]
    assert rules.password_errors("my-Alice-99", "alice") == [
        "Password must not contain the username."
    ]
    assert rules.password_errors("a1" * 64, "alice") == []
    assert rules.password_errors("a1" * 64 + "x", "alice") == ["Password must be 8-128 characters."]


@pytest.mark.parametrize(
    ("email", "valid"),
    [("a@b.co", True), ("first.last+tag@example.org", True), ("no-at.example.org", False),
     ("two@@example.org", False), ("spaces in@example.org", False), ("a@b", False),
     ("a@b.c", False)],
)
def test_email_rule(email: str, valid: bool) -> None:
    assert (rules.email_errors(email) == []) is valid


def test_nickname_and_chat_settings() -> None:
    assert rules.nickname_errors("Al") == []
    assert rules.nickname_errors("  ")
    assert rules.nickname_errors("x" * 33)
    assert rules.accept_chat_from_errors("friends_only") == []
    assert rules.accept_chat_from_errors("anyone")


def test_bio_rule_counts_the_trimmed_text_and_refuses_nul() -> None:
    assert rules.bio_errors("") == []
    assert rules.bio_errors("  " + "x" * rules.BIO_MAX + "\n") == []
    assert rules.bio_errors("x" * (rules.BIO_MAX + 1)) == ["Bio must be at most 280 characters."]
    assert rules.bio_errors("pong\x00") == ["Bio must not contain NUL characters."]
