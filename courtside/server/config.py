"""The one frozen, typed configuration object a Courtside process runs with.

Values come from command-line flags, then ``COURTSIDE_*`` environment variables,
then defaults (DESIGN.md §1). It is passed down explicitly, never read globally.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from courtside.persistence import Executor
from courtside.persistence.cluster import SIGNING_KEY, cluster_secret

ENV_PREFIX = "COURTSIDE_"
_WILDCARD_HOSTS = ("", "0.0.0.0", "::")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
SMTP_SCHEMES = ("smtp://", "smtps://", "smtp+starttls://")
_OAUTH_SETTING = re.compile(
    r"^COURTSIDE_OAUTH_([A-Z0-9_]+?)_"
    r"(CLIENT_ID|CLIENT_SECRET|DISCOVERY_URL|AUTHORIZE_URL|TOKEN_URL|USERINFO_URL|SCOPE)$"
)


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
class OAuthProviderSettings:
    """One OAuth 2.0 provider: OpenID Connect discovery, or its three endpoints."""

    name: str
    client_id: str
    client_secret: str = ""
    discovery_url: str | None = None
    authorize_url: str | None = None
    token_url: str | None = None
    userinfo_url: str | None = None
    scope: str | None = None  # None: "openid profile email" with discovery, else none

    def __post_init__(self) -> None:
        variable = f"COURTSIDE_OAUTH_{self.name.upper()}"
        if self.name == "linked":
            raise ConfigError(f"{variable}: 'linked' names a route; call the provider otherwise")
        if not self.client_id:
            raise ConfigError(f"{variable}_CLIENT_ID is required")
        endpoints = (self.authorize_url, self.token_url, self.userinfo_url)
        if self.discovery_url is None and not all(endpoints):
            raise ConfigError(
                f"{variable} needs _DISCOVERY_URL, or _AUTHORIZE_URL, _TOKEN_URL and _USERINFO_URL"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 8000
    # The host this node's ws_urls name, as clients reach it; None: the bind host
    # (localhost when bound to every address).
    public_host: str | None = None
    # The game WebSocket's own listener; None means port + 1 (DESIGN.md §6).
    game_port: int | None = None
    # None: start the embedded PostgreSQL under data_dir.
    database_url: str | None = None
    # None: the cluster's key, generated once and kept in the database.
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
    # A seat nobody takes this long after the match is placed ends it unplayed.
    seat_timeout_seconds: float = 15.0
    ready_timeout_seconds: float = 30.0
    grace_seconds: float = 10.0
    tournament_round_seconds: float = 600.0  # DESIGN.md §8: a 10-minute cap per round
    # A lobby member whose last live connection closed leaves after this long away.
    lobby_presence_grace_seconds: float = 30.0
    # A quiet event stream gets a comment line this often (docs/REFERENCE_CLIENTS.md).
    sse_heartbeat_seconds: float = 15.0
    # How long the notification inbox keeps a notification (issue 18).
    notification_retention_days: float = 30.0
    # How long requests and matches under way get to finish once shutdown starts
    # (DESIGN.md §7); what is still running then is aborted and recorded.
    shutdown_grace_seconds: float = 30.0
    # None: this process is the node. N: a parent running N worker nodes on the shared
    # HTTP port, worker i on game port + i (docs/WORKERS.md); "auto" means the cores.
    workers: int | None = None
    # Password-reset mail: smtp://, smtps:// or smtp+starttls://[user:password@]host[:port];
    # None writes each mail to the log instead, as development servers do.
    smtp_url: str | None = None
    mail_from: str = "Courtside <noreply@localhost>"
    # Where users reach this server: reset links and OAuth redirect URIs start with it.
    # None: the server's own HTTP URL. Never taken from a request's Host header.
    public_url: str | None = None
    # Reset requests allowed per address and per IP, refilled over the window.
    password_resets_per_address: int = 3
    password_resets_per_ip: int = 10
    password_reset_window_seconds: float = 3600.0
    # From COURTSIDE_OAUTH_<NAME>_* variables, one entry per provider name.
    oauth_providers: tuple[OAuthProviderSettings, ...] = ()
    # Connections one client address may hold across both ports (docs/LIMITS.md).
    max_connections_per_ip: int = 512
    # A task step that holds the loop longer than this is logged with its task's name
    # (courtside.actors.loop_stalls); a bench lowers it to find what stalls the ticks.
    log_loop_steps_over_ms: float = 100.0

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
        if min(self.password_resets_per_address, self.password_resets_per_ip) < 1 or (
            self.password_reset_window_seconds <= 0
        ):
            raise ConfigError("password reset limits and window must be positive")
        if self.smtp_url is not None and not self.smtp_url.startswith(SMTP_SCHEMES):
            raise ConfigError(f"SMTP URL must start with one of {', '.join(SMTP_SCHEMES)}")
        if self.public_url is not None and not self.public_url.startswith(("http://", "https://")):
            raise ConfigError("public URL must start with http:// or https://")
        if self.sse_heartbeat_seconds <= 0:
            raise ConfigError("the SSE heartbeat interval must be positive")
        if self.lobby_presence_grace_seconds < 0:
            raise ConfigError("the lobby presence grace cannot be negative")
        if self.notification_retention_days <= 0:
            raise ConfigError("notification retention must be positive")
        if self.max_connections_per_ip < 1:
            raise ConfigError("connections per IP must be at least 1")
        if self.log_loop_steps_over_ms <= 0:
            raise ConfigError("the loop-step log threshold must be positive")
        if self.workers is not None:
            self._check_workers(self.workers)

    def _check_workers(self, workers: int) -> None:
        """Worker i listens on game port + i: the range must fit and spare the HTTP port."""
        if workers < 1:
            raise ConfigError(f"workers must be at least 1 or auto, got {workers}")
        first = self.game_port_number
        if not first:
            return  # port 0: each worker takes any free port
        last = first + workers - 1
        if last > 65535:
            raise ConfigError(f"{workers} game ports from {first} pass 65535")
        if first <= self.port <= last:
            raise ConfigError(f"game ports {first}-{last} include the HTTP port {self.port}")

    @property
    def game_port_number(self) -> int:
        """Port + 1 by default; 0 (any free port) when the HTTP port is 0, as in tests."""
        if self.game_port is not None:
            return self.game_port
        return self.port + 1 if self.port else 0

    @property
    def advertised_host(self) -> str:
        if self.public_host:
            return self.public_host
        return "localhost" if self.host in _WILDCARD_HOSTS else self.host

    @property
    def log_level_number(self) -> int:
        return logging.getLevelNamesMapping()[self.log_level]


def load_config(flags: Mapping[str, Any], environ: Mapping[str, str]) -> Config:
    """Merge flags over ``COURTSIDE_*`` variables over defaults.

    ``flags`` holds only the options the user gave (None means not given).
    """
    values: dict[str, Any] = {}
    for field in dataclasses.fields(Config):
        if field.name == "oauth_providers":
            continue  # one group of variables per provider: oauth_providers_from
        raw = flags.get(field.name)
        if raw is None:
            raw = environ.get(ENV_PREFIX + field.name.upper())
        if raw is None or raw == "":
            continue
        values[field.name] = _coerce(field.name, field.type, raw)
    if "log_level" in values:
        values["log_level"] = values["log_level"].upper()
    if providers := oauth_providers_from(environ):
        values["oauth_providers"] = providers
    return Config(**values)


def oauth_providers_from(environ: Mapping[str, str]) -> tuple[OAuthProviderSettings, ...]:
    """``COURTSIDE_OAUTH_<NAME>_CLIENT_ID`` and its siblings, grouped by provider name."""
    by_name: dict[str, dict[str, str]] = {}
    for variable, value in environ.items():
        if (match := _OAUTH_SETTING.match(variable)) and value:
            by_name.setdefault(match.group(1).lower(), {})[match.group(2).lower()] = value
    return tuple(
        OAuthProviderSettings(name=name, **{"client_id": "", **settings})
        for name, settings in sorted(by_name.items())
    )


def _coerce(name: str, annotation: Any, raw: Any) -> Any:
    kind = str(annotation)
    if name == "workers":
        return _worker_count(raw)
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


def _worker_count(raw: Any) -> int:
    if str(raw).lower() == "auto":
        return len(os.sched_getaffinity(0))  # the cores this process may run on
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"workers must be a number or auto, got {raw!r}") from None


async def signing_key(config: Config, database: Executor) -> str:
    """The key that signs tokens: ``--secret-key`` when given (the same on every
    node), else the cluster's own, made once in the database. An install that kept
    a key in its data dir seeds the cluster's with it, so its tokens stay valid."""
    if config.secret_key:
        return config.secret_key
    try:
        kept = (config.data_dir / "secret_key").read_text().strip() or None
    except OSError:
        kept = None
    return await cluster_secret(database, SIGNING_KEY, seed=kept)
