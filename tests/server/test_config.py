"""Settings come from flags, then COURTSIDE_* variables, then defaults."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from courtside.persistence import Database
from courtside.server.config import Config, ConfigError, load_config, signing_key


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


async def test_the_signing_key_belongs_to_the_cluster(database: Database, tmp_path: Path) -> None:
    # Two nodes with data dirs of their own share the key the first one made.
    first = await signing_key(Config(data_dir=tmp_path / "a"), database)
    assert len(first) >= 48
    assert await signing_key(Config(data_dir=tmp_path / "b"), database) == first
    assert await signing_key(Config(data_dir=tmp_path, secret_key="given"), database) == "given"


async def test_a_key_kept_by_an_older_install_becomes_the_clusters(
    database: Database, tmp_path: Path
) -> None:
    (tmp_path / "secret_key").write_text("kept-by-a-single-node-install\n")
    assert await signing_key(Config(data_dir=tmp_path), database) == "kept-by-a-single-node-install"
    assert await signing_key(Config(data_dir=tmp_path / "other"), database) == (
        "kept-by-a-single-node-install"
    )


def test_workers_auto_means_the_cores_this_process_may_use() -> None:
    assert load_config({"workers": "auto"}, {}).workers == len(os.sched_getaffinity(0))
    assert load_config({}, {"COURTSIDE_WORKERS": "3"}).workers == 3
    assert load_config({}, {}).workers is None


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"workers": "0"}, "workers must be at least 1 or auto"),
        ({"workers": "many"}, "workers must be a number or auto"),
        ({"workers": "3", "game_port": "65534"}, "3 game ports from 65534 pass 65535"),
        ({"workers": "3", "port": "8000", "game_port": "7999"},
         "game ports 7999-8001 include the HTTP port 8000"),
    ],
)
def test_bad_worker_counts_are_refused_with_a_reason(flags: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(flags, {})


def test_the_public_host_defaults_to_the_bind_host() -> None:
    assert load_config({"host": "10.0.0.5"}, {}).advertised_host == "10.0.0.5"
    assert load_config({"host": "0.0.0.0"}, {}).advertised_host == "localhost"
    config = load_config({"host": "0.0.0.0"}, {"COURTSIDE_PUBLIC_HOST": "play.example.com"})
    assert config.advertised_host == "play.example.com"


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
