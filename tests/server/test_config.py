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
    assert config.throttle_exempt_addresses == ()


def test_throttle_exempt_addresses_are_a_comma_separated_list() -> None:
    config = load_config({}, {"COURTSIDE_THROTTLE_EXEMPT_ADDRESSES": "127.0.0.1, ::1,"})
    assert config.throttle_exempt_addresses == ("127.0.0.1", "::1")


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
