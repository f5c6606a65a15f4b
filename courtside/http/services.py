"""What the HTTP layer is given to work with, and how handlers reach it."""

from __future__ import annotations

from dataclasses import dataclass

from quart import current_app

from courtside.actors import Registry, Supervisor
from courtside.persistence import Database

from .metrics import Metrics
from .sockets import OpenSockets
from .throttling import Throttle


@dataclass(frozen=True, slots=True, kw_only=True)
class Services:
    database: Database
    supervisor: Supervisor
    registry: Registry
    throttle: Throttle
    metrics: Metrics
    sockets: OpenSockets
    secret_key: str


def services() -> Services:
    """The services of the app handling the current request."""
    return current_app.extensions["courtside"]
