"""The caller as lobbies, tournaments and invitations show a user to others."""

from __future__ import annotations

from courtside.actors.lobby_messages import Person

from ..auth.identity import current_user
from ..services import services


def caller_as_person() -> Person:
    caller = current_user()
    return Person(caller.id, caller.username, caller.nickname, caller.is_guest,
                  services().avatars.urls(caller.avatar))
