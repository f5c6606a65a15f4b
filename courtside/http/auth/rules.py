"""Account field rules of DESIGN.md §4, as plain functions returning error messages."""

from __future__ import annotations

import re

USERNAME = re.compile(r"^[A-Za-z0-9_-]{3,20}$")
# Deliberately simple: one @, a dot in the domain, no spaces. Real proof of an
# address is a confirmation mail, which we do not send.
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")
PASSWORD_MIN, PASSWORD_MAX = 8, 128
NICKNAME_MAX = 32
BIO_MAX = 280
EMAIL_MAX = 254
ACCEPT_CHAT_FROM = ("none", "friends_only", "everyone")


def username_errors(username: str) -> list[str]:
    if not USERNAME.match(username):
        return ["Username must be 3-20 characters: letters, digits, '_' or '-'."]
    return []


def nickname_errors(nickname: str) -> list[str]:
    if not 1 <= len(nickname.strip()) <= NICKNAME_MAX:
        return [f"Nickname must be 1-{NICKNAME_MAX} characters."]
    return []


def bio_errors(bio: str) -> list[str]:
    """``bio`` as given; it is stored trimmed, so the limit applies to the trimmed text."""
    errors = []
    if "\x00" in bio:  # PostgreSQL text cannot hold it, and no reader wants it
        errors.append("Bio must not contain NUL characters.")
    if len(bio.strip()) > BIO_MAX:
        errors.append(f"Bio must be at most {BIO_MAX} characters.")
    return errors


def email_errors(email: str) -> list[str]:
    if len(email) > EMAIL_MAX or not EMAIL.match(email):
        return ["Enter a valid email address."]
    return []


def password_errors(password: str, username: str) -> list[str]:
    errors = []
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        errors.append(f"Password must be {PASSWORD_MIN}-{PASSWORD_MAX} characters.")
    if not any(ch.isalpha() for ch in password) or not any(ch.isdigit() for ch in password):
        errors.append("Password must contain at least one letter and one digit.")
    if username and username.lower() in password.lower():
        errors.append("Password must not contain the username.")
    return errors


def accept_chat_from_errors(value: str) -> list[str]:
    if value not in ACCEPT_CHAT_FROM:
        return [f"Must be one of: {', '.join(ACCEPT_CHAT_FROM)}."]
    return []
