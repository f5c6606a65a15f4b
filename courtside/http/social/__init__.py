"""The social graph under /api/users/me/: friend requests, friends, blocks, and their events."""

from quart import Blueprint

from . import blocks, events, friend_requests, friends
from .instances import Instances

blueprint = Blueprint("social", __name__, url_prefix="/api/users/me")
for part in (friend_requests.blueprint, friends.blueprint, blocks.blueprint):
    blueprint.register_blueprint(part)

__all__ = ["Instances", "blueprint", "events"]
