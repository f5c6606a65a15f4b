"""The one frozen, typed configuration object a Courtside process runs with.

Values come from command-line flags, then ``COURTSIDE_*`` environment variables,
then defaults (DESIGN.md §1). It is passed down explicitly, never read globally.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV_PREFIX = "COURTSIDE_"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(ValueError):
    """A setting has a value Courtside cannot run with."""


def default_data_dir() -> Path:
    """Where the embedded database and generated secrets live.

    ``$XDG_DATA_HOME/courtside``; as root ``/var/lib/courtside`` instead, because the
    embedded PostgreSQL runs as an unprivileged account that cannot enter /root.
    """
    if "XDG_DATA_HOME" in os.environ:
        return Path(os.environ["XDG_DATA_HOME"]) / "courtside"
    if os.geteuid() == 0:
        return Path("/var/lib/courtside")
    return Path.home() / ".local" / "share" / "courtside"


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 8000
    # The game WebSocket's own listener; None means port + 1 (DESIGN.md §6).
    game_port: int | None = None
    # None: start the embedded PostgreSQL under data_dir.
    database_url: str | None = None
    # None: generated once and kept in data_dir, so tokens survive restarts.
    secret_key: str | None = None
    log_level: str = "INFO"
    data_dir: Path = dataclasses.field(default_factory=default_data_dir)
    db_pool_size: int = 10
    # Token bucket for unsafe methods, per user (per IP when anonymous).
    throttle_burst: int = 60
    throttle_per_second: float = 10.0
    # Client addresses whose anonymous requests skip the per-IP bucket, for a load
    # tester creating thousands of guests from one address; signed-in users keep
    # their own buckets. Empty by default: every address is throttled.
    throttle_exempt_addresses: tuple[str, ...] = ()
    # Failed logins allowed per username and per IP, refilled over the window.
    failed_logins_per_username: int = 5
    failed_logins_per_ip: int = 20
    failed_login_window_seconds: float = 900.0
    # Matches: the shard's tick rate, how often state is broadcast, and the waits.
    tick_rate: int = 60
    broadcast_rate: int = 60
    ready_timeout_seconds: float = 30.0
    grace_seconds: float = 10.0
    tournament_round_seconds: float = 600.0  # DESIGN.md §8: a 10-minute cap per round
    # How long requests and matches under way get to finish once shutdown starts
    # (DESIGN.md §7); what is still running then is aborted and recorded.
    shutdown_grace_seconds: float = 30.0

    def __post_init__(self) -> None:
        for name in ("port", "game_port"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 65535:
                raise ConfigError(f"{name.replace('_', ' ')} must be 0-65535, got {value}")
        if not 1 <= self.broadcast_rate <= self.tick_rate or self.tick_rate % self.broadcast_rate:
            raise ConfigError("broadcast rate must divide the tick rate")
        if self.log_level not in LOG_LEVELS:
            raise ConfigError(f"log level must be one of {', '.join(LOG_LEVELS)}")
        if self.database_url is not None and not self.database_url.startswith(
            ("postgresql://", "postgres://")
        ):
            raise ConfigError("database URL must start with postgresql://")
        if self.db_pool_size < 1:
            raise ConfigError("database pool size must be at least 1")
        if self.throttle_burst < 1 or self.throttle_per_second <= 0:
            raise ConfigError("throttle burst and rate must be positive")

    @property
    def game_port_number(self) -> int:
        """Port + 1 by default; 0 (any free port) when the HTTP port is 0, as in tests."""
        if self.game_port is not None:
            return self.game_port
        return self.port + 1 if self.port else 0

    @property
    def log_level_number(self) -> int:
        return logging.getLevelNamesMapping()[self.log_level]


def load_config(flags: Mapping[str, Any], environ: Mapping[str, str]) -> Config:
    """Merge flags over ``COURTSIDE_*`` variables over defaults.

    ``flags`` holds only the options the user gave (None means not given).
    """
    values: dict[str, Any] = {}
    for field in dataclasses.fields(Config):
        raw = flags.get(field.name)
        if raw is None:
            raw = environ.get(ENV_PREFIX + field.name.upper())
        if raw is None or raw == "":
            continue
        values[field.name] = _coerce(field.name, field.type, raw)
    if "log_level" in values:
        values["log_level"] = values["log_level"].upper()
    return Config(**values)


def _coerce(name: str, annotation: Any, raw: Any) -> Any:
    kind = str(annotation)
    try:
        if kind.startswith("int"):
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "Path":
            return Path(raw).expanduser()
        if kind.startswith("tuple"):
            return tuple(part.strip() for part in str(raw).split(",") if part.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    return str(raw)


def resolve_secret_key(config: Config) -> str:
    """The configured secret key, or one generated once and kept under data_dir."""
    if config.secret_key:
        return config.secret_key
    path = config.data_dir / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    config.data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(key)
    return key
