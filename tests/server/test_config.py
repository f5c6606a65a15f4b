"""Settings come from flags, then COURTSIDE_* variables, then defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from courtside.server.config import Config, ConfigError, load_config, resolve_secret_key


def test_flags_win_over_environment_over_defaults() -> None:
    config = load_config(
        {"port": "9000", "host": None},
        {"COURTSIDE_PORT": "7000", "COURTSIDE_HOST": "0.0.0.0", "COURTSIDE_LOG_LEVEL": "debug"},
    )
    assert config.port == 9000
    assert config.host == "0.0.0.0"
    assert config.log_level == "DEBUG"
    assert config.database_url is None
    assert config.throttle_burst == Config().throttle_burst


def test_config_is_frozen() -> None:
    with pytest.raises(AttributeError):
        Config().port = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"COURTSIDE_PORT": "eighty"}, "port must be a number"),
        ({"COURTSIDE_PORT": "70000"}, "port must be 0-65535"),
        ({"COURTSIDE_LOG_LEVEL": "loud"}, "log level"),
        ({"COURTSIDE_DATABASE_URL": "mysql://x"}, "postgresql://"),
    ],
)
def test_bad_settings_are_refused_with_a_reason(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config({}, environ)


def test_generated_secret_key_is_kept_across_restarts(tmp_path: Path) -> None:
    config = Config(data_dir=tmp_path)
    first = resolve_secret_key(config)
    assert len(first) >= 48
    assert resolve_secret_key(config) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert resolve_secret_key(Config(data_dir=tmp_path, secret_key="given")) == "given"


def test_live_channel_and_lobby_settings_come_from_the_environment() -> None:
    defaults = Config()
    assert (defaults.sse_heartbeat_seconds, defaults.lobby_presence_grace_seconds) == (15.0, 30.0)
    config = load_config({}, {"COURTSIDE_SSE_HEARTBEAT_SECONDS": "2.5",
                              "COURTSIDE_LOBBY_PRESENCE_GRACE_SECONDS": "5"})
    assert (config.sse_heartbeat_seconds, config.lobby_presence_grace_seconds) == (2.5, 5.0)
    for environ, message in (({"COURTSIDE_SSE_HEARTBEAT_SECONDS": "0"}, "heartbeat"),
                             ({"COURTSIDE_SSE_HEARTBEAT_SECONDS": "often"}, "must be a number"),
                             ({"COURTSIDE_LOBBY_PRESENCE_GRACE_SECONDS": "-1"}, "grace")):
        with pytest.raises(ConfigError, match=message):
            load_config({}, environ)
