"""``/api/notifications/``: the caller's inbox of notable events (issue 18, point 8).

What the live channel carried while a client was away, newest first, with the
unread count; each can be marked read or deleted, or all marked read at once.
Entries are kept for the configured retention (30 days by default). A
notification of someone else's answers 404, as one that does not exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from quart import Blueprint, Response, make_response, request
from quart_schema import validate_querystring, validate_response

from courtside.persistence.notifications import Notification, Notifications
from courtside.protocol import NotFound
from courtside.protocol.user_messages import MAX_ID

from .auth.identity import current_user
from .pagination import ScrollQuery, paginated
from .responses import Paged, Shown, no_content
from .services import services

blueprint = Blueprint("notifications", __name__, url_prefix="/api/notifications")


class NotificationInstance(Shown):
    """One notable event: its live-channel name and payload, as the SSE stream carried them."""

    id: int
    event: str
    data: dict[str, Any]
    created_at: datetime
    is_read: bool


class NotificationPage(Paged[NotificationInstance]):
    unread_count: int


class AllRead(Shown):
    marked: int  # how many were unread
    unread_count: int


def _instance(notification: Notification) -> NotificationInstance:
    return NotificationInstance(
        notification.id, notification.event, notification.data, notification.created_at,
        is_read=notification.read_at is not None,
    )


def _not_found() -> NotFound:
    return NotFound("Notification not found.")


@blueprint.url_value_preprocessor
def _ids_within_bigint(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """An id past a bigint names no row; it is refused before PostgreSQL sees it."""
    if (values or {}).get("notification_id", 0) > MAX_ID:
        raise _not_found()


@blueprint.get("/")
@validate_querystring(ScrollQuery)
@validate_response(NotificationPage)
async def list_notifications(query_args: ScrollQuery) -> NotificationPage:
    """Newest first; ``before=<notification id>`` pages back from one, stable as new ones come."""
    notifications = Notifications(services().database)
    user_id = current_user().id
    count, rows = await notifications.page(
        user_id, before=query_args.before, limit=query_args.limit, offset=query_args.offset
    )
    page = paginated(request.url, query_args.page, count, [_instance(row) for row in rows])
    return NotificationPage(**page, unread_count=await notifications.unread_count(user_id))


@blueprint.post("/read/")
@validate_response(AllRead)
async def mark_all_read() -> AllRead:
    marked = await Notifications(services().database).mark_all_read(current_user().id)
    return AllRead(marked=marked, unread_count=0)


@blueprint.post("/<int:notification_id>/read/")
@validate_response(NotificationInstance)
async def mark_read(notification_id: int) -> NotificationInstance:
    notification = await Notifications(services().database).mark_read(
        current_user().id, notification_id
    )
    if notification is None:
        raise _not_found()
    return _instance(notification)


@blueprint.delete("/<int:notification_id>/")
@no_content("Deleted")
async def delete_notification(notification_id: int) -> Response:
    if not await Notifications(services().database).delete(current_user().id, notification_id):
        raise _not_found()
    return await make_response("", 204)
