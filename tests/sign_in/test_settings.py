"""The mail and OAuth settings, read as a server reads them at start."""

from __future__ import annotations

import pytest

from courtside.http.auth.mail import SmtpServer
from courtside.http.auth.oauth_accounts import username_candidates
from courtside.server.config import ConfigError, load_config


def test_each_oauth_provider_is_one_group_of_variables() -> None:
    config = load_config({}, {
        "COURTSIDE_OAUTH_GITHUB_CLIENT_ID": "gh-id",
        "COURTSIDE_OAUTH_GITHUB_CLIENT_SECRET": "gh-secret",
        "COURTSIDE_OAUTH_GITHUB_AUTHORIZE_URL": "https://github.com/login/oauth/authorize",
        "COURTSIDE_OAUTH_GITHUB_TOKEN_URL": "https://github.com/login/oauth/access_token",
        "COURTSIDE_OAUTH_GITHUB_USERINFO_URL": "https://api.github.com/user",
        "COURTSIDE_OAUTH_GITHUB_SCOPE": "read:user",
        "COURTSIDE_OAUTH_INTRA_42_CLIENT_ID": "42-id",
        "COURTSIDE_OAUTH_INTRA_42_DISCOVERY_URL": "https://id.example/.well-known/openid-configuration",
    })
    github, intra = config.oauth_providers
    assert (github.name, github.client_id, github.client_secret, github.scope) == (
        "github", "gh-id", "gh-secret", "read:user")
    assert github.discovery_url is None
    assert (intra.name, intra.client_id, intra.scope) == ("intra_42", "42-id", None)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"COURTSIDE_OAUTH_X_CLIENT_SECRET": "s", "COURTSIDE_OAUTH_X_DISCOVERY_URL": "https://d"},
         "COURTSIDE_OAUTH_X_CLIENT_ID is required"),
        ({"COURTSIDE_OAUTH_X_CLIENT_ID": "id", "COURTSIDE_OAUTH_X_TOKEN_URL": "https://t"},
         "_DISCOVERY_URL, or _AUTHORIZE_URL"),
        ({"COURTSIDE_OAUTH_LINKED_CLIENT_ID": "id", "COURTSIDE_OAUTH_LINKED_DISCOVERY_URL": "https://d"},
         "'linked' names a route"),
        ({"COURTSIDE_SMTP_URL": "mail.example:25"}, "SMTP URL must start with"),
        ({"COURTSIDE_PASSWORD_RESET_WINDOW_SECONDS": "0"}, "password reset limits"),
        ({"COURTSIDE_PUBLIC_URL": "courtside.example"}, "public URL must start with"),
    ],
)
def test_incomplete_settings_are_refused_with_a_reason(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config({}, environ)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example", SmtpServer("mail.example", 25, "plain")),
        ("smtps://u%40x:p%2Fw@mail.example", SmtpServer("mail.example", 465, "tls", "u@x", "p/w")),
        ("smtp+starttls://u:p@mail.example:2525", SmtpServer("mail.example", 2525, "starttls", "u", "p")),
    ],
)
def test_smtp_urls_name_server_security_and_login(url: str, expected: SmtpServer) -> None:
    assert SmtpServer.from_url(url) == expected


@pytest.mark.parametrize(
    ("suggested", "first"),
    [("alice", "alice"), ("Octo Cat!", "Octo_Cat"), ("José María", "Jos_Mar_a"),
     ("a" * 30, "a" * 20), ("x", "player"), (None, "player"), ("__--__", "player")],
)
def test_provider_names_become_valid_usernames(suggested: str | None, first: str) -> None:
    candidates = username_candidates(suggested)
    assert candidates[0] == first
    assert all(3 <= len(name) <= 20 for name in candidates)
    assert len(set(candidates)) == len(candidates)
    assert candidates[1] == f"{first[:19]}2"
