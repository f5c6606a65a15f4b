"""The HTTP face of Courtside: REST blueprints, WebSocket and SSE endpoints."""

from .app import create_app
from .auth.tokens import TokenSigner
from .metrics import Metrics
from .services import Services
from .sockets import OpenSockets
from .throttling import Throttle

__all__ = ["Metrics", "OpenSockets", "Services", "Throttle", "TokenSigner", "create_app"]
