"""Requests to named actors on other nodes, over NOTIFY (DESIGN.md §10).

Each node listens on a channel of its own. A request travels there with a
placeholder in its ``reply`` field; the owner's node asks its local actor with
a Reply of its own and sends the outcome back on the requester's channel. The
caller's timeout bounds the whole round trip. Messages are pickled: they are
the actors' own message types, and every node of a cluster runs the same code
and trusts the same database. A body over NOTIFY's limit travels in a row.
"""

from __future__ import annotations

import base64
import functools
import itertools
import logging
import pickle
from collections.abc import Callable
from typing import Any, TypeVar

import msgspec
import trio

from courtside.actors.handle import ActorGone, MailboxFull, RequestTimeout
from courtside.actors.registry import Registry
from courtside.persistence import NOTIFY_LIMIT, Database
from courtside.persistence.leases import BusMessages
from courtside.protocol import ServiceUnavailable

from .upkeep import again_and_again, every

log = logging.getLogger(__name__)

T = TypeVar("T")

OUTBOX_CAPACITY = 16_384
BIG_MESSAGES_KEPT = 60.0


def channel_of(node_id: int) -> str:
    return f"courtside_node_{node_id}"


class RemoteReply:
    """Stands in a request's ``reply`` while it travels to the owner's node."""

    __slots__ = ("request_id",)

    def __init__(self, request_id: int) -> None:
        self.request_id = request_id

    def __reduce__(self) -> tuple[type[RemoteReply], tuple[int]]:
        return RemoteReply, (self.request_id,)


class _Header(msgspec.Struct, frozen=True, omit_defaults=True):
    kind: str  # "ask", "tell" or "answer"
    name: str = ""  # the actor's name (ask, tell)
    request: int = 0  # the request's number on its node (ask, answer)
    sender: int = 0  # the requesting node (ask)
    timeout: float = 0.0  # the requester's (ask)
    body: str = ""  # base64 pickle, or
    stored: int = 0  # the bus_messages row holding it


_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder(_Header).decode


class RemoteHandle:
    """A named actor on another node, reached as a local Handle is."""

    depth = 0  # its queue is the owner node's to count

    def __init__(self, calls: RemoteCalls, node_id: int, name: str) -> None:
        self._calls = calls
        self.node_id = node_id
        self.name = name

    def send_nowait(self, message: object) -> None:
        self._calls.tell(self.node_id, self.name, message)

    async def request(self, make_message: Callable[[Any], Any], *, timeout: float) -> Any:
        return await self._calls.request(self.node_id, self.name, make_message, timeout=timeout)


class RemoteCalls:
    def __init__(self, database: Database, registry: Registry, node_id: Callable[[], int]) -> None:
        self._database = database
        self._registry = registry
        self._node_id = node_id
        self._big = BusMessages(database)
        self._numbers = itertools.count(1)
        self._waiting: dict[int, tuple[trio.Event, list[tuple[bool, Any]]]] = {}
        self._outbox, self._pending = trio.open_memory_channel[tuple[int, _Header, object]](
            OUTBOX_CAPACITY
        )
        self._nursery: trio.Nursery | None = None
        self.listening = trio.Event()

    # What handles call.

    def tell(self, node_id: int, name: str, message: object) -> None:
        try:
            self._outbox.send_nowait((node_id, _Header("tell", name=name), message))
        except trio.WouldBlock:
            log.error("message to %s on node %d lost: the bus outbox is full", name, node_id)

    async def request(self, node_id: int, name: str, make_message: Callable[[Any], Any],
                      *, timeout: float) -> Any:
        number = next(self._numbers)
        message = make_message(RemoteReply(number))
        answered, outcome = self._waiting[number] = (trio.Event(), [])
        try:
            with trio.move_on_after(timeout):
                await self._send(node_id, _Header("ask", name=name, request=number,
                                                  sender=self._node_id(), timeout=timeout), message)
                await answered.wait()
        finally:
            del self._waiting[number]
        if not outcome:
            raise RequestTimeout(f"{name} on node {node_id} did not answer within {timeout} s")
        ok, value = outcome[0]
        if ok:
            return value
        raise value

    # The node's tasks.

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Listen on this node's channel (once it has joined) and send what is told."""
        async with trio.open_nursery() as self._nursery:
            self._nursery.start_soon(self._send_told)
            self._nursery.start_soon(every, BIG_MESSAGES_KEPT, "forget old bus messages",
                                     functools.partial(self._big.forget_older_than, BIG_MESSAGES_KEPT))
            task_status.started()
            await again_and_again("the bus listener", self._listen)

    async def _listen(self) -> None:
        async with self._database.listen(channel_of(self._node_id())) as notifications:
            self.listening.set()
            while True:
                for payload in await notifications.next_batch():
                    self._nursery.start_soon(self._received, payload)

    async def _send_told(self) -> None:
        async for node_id, header, message in self._pending:
            try:
                await self._send(node_id, header, message)
            except Exception:
                log.exception("could not send %s to node %d", header.kind, node_id)

    async def _send(self, node_id: int, header: _Header, message: object) -> None:
        body = base64.b64encode(pickle.dumps(message, pickle.HIGHEST_PROTOCOL)).decode()
        text = _encode(msgspec.structs.replace(header, body=body)).decode()
        if len(text) > NOTIFY_LIMIT:
            stored = await self._big.put(body.encode())
            text = _encode(msgspec.structs.replace(header, stored=stored)).decode()
        await self._database.execute("SELECT pg_notify(%s, %s)", channel_of(node_id), text)

    async def _received(self, payload: str) -> None:
        header = _decode(payload)
        try:
            message = await self._body(header)
        except Exception:
            log.exception("unreadable %s for %s", header.kind, header.name or header.request)
            if header.kind == "ask":
                await self._answer(header, False, ServiceUnavailable("The request could not be read."))
            return
        if header.kind == "answer":
            waiting = self._waiting.get(header.request)
            if waiting is not None:  # else the caller gave up already
                waiting[1].append(message)
                waiting[0].set()
        elif header.kind == "tell":
            self._tell_locally(header.name, message)
        else:
            await self._ask_locally(header, message)

    async def _body(self, header: _Header) -> Any:
        body = header.body
        if header.stored:
            stored = await self._big.take(header.stored)
            if stored is None:
                raise LookupError(f"bus message {header.stored} is gone")
            body = stored.decode()
        return pickle.loads(base64.b64decode(body))

    def _tell_locally(self, name: str, message: object) -> None:
        handle = self._registry.lookup(name)
        if handle is None:
            log.warning("message for %s dropped: it does not run here", name)
            return
        try:
            handle.send_nowait(message)
        except (ActorGone, MailboxFull) as why:
            log.warning("message for %s dropped: %r", name, why)

    async def _ask_locally(self, header: _Header, message: Any) -> None:
        handle = self._registry.lookup(header.name)
        if handle is None:
            await self._answer(header, False, ActorGone(f"{header.name} does not run here"))
            return
        try:
            value = await handle.request(lambda reply: msgspec.structs.replace(message, reply=reply),
                                         timeout=header.timeout)
        except Exception as error:
            await self._answer(header, False, error)
        else:
            await self._answer(header, True, value)

    async def _answer(self, header: _Header, ok: bool, value: object) -> None:
        answer = _Header("answer", request=header.request)
        try:
            await self._send(header.sender, answer, (ok, value))
        except (pickle.PicklingError, TypeError, AttributeError):
            log.exception("the answer to %s cannot travel", header.name)
            await self._send(header.sender, answer,
                             (False, ServiceUnavailable("The answer could not be sent.")))
