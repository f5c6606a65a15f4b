"""Helpers that speak the notification inbox: read it as a client does, and wait for
the store to have written what was published."""

from __future__ import annotations

from typing import Any

import httpx

from courtside.actors.notification_store import NOTIFICATION_STORE, Flush
from courtside.server.node import Node
from tests.accounts import Account

INBOX = "/api/notifications/"
STORE_WAIT = 5.0


async def stored(node: Node) -> None:
    """Every event published so far is in the inbox: the store answers a flush after it."""
    store = node.services.registry.lookup(NOTIFICATION_STORE)
    assert store is not None
    await store.request(Flush, timeout=STORE_WAIT)


async def inbox(client: httpx.AsyncClient, account: Account, query: str = "") -> dict[str, Any]:
    response = await client.get(f"{INBOX}{query}", headers=account.headers)
    assert response.status_code == 200, response.text
    return response.json()


def events(page: dict[str, Any]) -> list[str]:
    return [notification["event"] for notification in page["results"]]
