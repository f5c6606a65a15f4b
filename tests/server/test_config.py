"""Settings come from flags, then COURTSIDE_* variables, then defaults."""

from __future__ import annotations

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
