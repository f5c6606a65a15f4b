"""One WebSocket of the lean listener on a plain non-blocking socket (DESIGN.md §6,
§13): a game socket, or a user socket.

Writes never wait: ``send`` hands the kernel what it takes and keeps only the
rest in a bounded backlog, which a flusher task, started when a backlog appears,
writes out as the socket becomes writable. A client whose backlog passes its ``Limits`` (a
game socket: 64 KiB, or not emptied within a second) is closed as a slow
consumer: it never holds back a tick or a fan-out. Its close frame follows the
frame the kernel was in the middle of, never a cut one. Reads are non-blocking
too: while a match plays, the tick shard calls ``receive_nowait`` on each
player's socket; before that, for spectators and for user sockets, the
connection's handler task awaits ``receive``.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Callable
from typing import Any, NamedTuple

import msgspec
import trio

from courtside.protocol import CloseCode
from courtside.protocol.admission import Admission, Verdict
from courtside.protocol.frames import (
    Close,
    FrameReader,
    Message,
    Ping,
    ProtocolViolation,
    encode_close,
    encode_pong,
)
from courtside.protocol.game_messages import (
    ClientMessage,
    Error,
    Frames,
    ServerMessage,
    WireFormat,
    client_message_decoder,
)

log = logging.getLogger(__name__)

SLOW_CONSUMER = "slow consumer"
# Per tick, at most this much is read from one socket: a flooding client gets a
# bounded share of the tick, and the rest waits in the kernel for the next one.
READ_CHUNK = 16 * 1024


class Limits(NamedTuple):
    max_message_bytes: int
    max_backlog_bytes: int
    max_backlog_frames: int
    max_backlog_seconds: float
    # How long a closing socket waits for the client to take our close frame and
    # answer with its own: a slow consumer learns why it was closed if it reads by then.
    linger_seconds: float


GAME_LIMITS = Limits(max_message_bytes=4096, max_backlog_bytes=64 * 1024,
                     max_backlog_frames=1024, max_backlog_seconds=1.0, linger_seconds=2.0)


class ConnectionClosed(Exception):
    """The socket is closed; nothing more will be received."""


class LeanSocket:
    def __init__(
        self,
        sock: socket.socket,
        *,
        wire: WireFormat,
        limits: Limits = GAME_LIMITS,
        decode: Callable[[str | bytes], Any] | None = None,
    ) -> None:
        """``decode`` parses a client message (raising ``msgspec.DecodeError``); by
        default the game's, for ``wire``."""
        self.wire = wire
        self.user_id = 0  # set once authenticated
        self.closed = False
        self.close_code: int | None = None
        self._sock = sock
        self._limits = limits
        self._reader = FrameReader(max_message_size=limits.max_message_bytes)
        self._pending: list[ClientMessage] = []
        self._backlog = bytearray()
        # Lengths of the frames in the backlog, oldest first, and how much of the
        # oldest the kernel has taken: a close must not cut a frame in two.
        # A list, not a deque: an empty deque costs 600 bytes on every idle socket.
        self._queued: list[int] = []
        self._head_sent = 0
        self._backlog_since = 0.0
        # Where a flusher task starts once a backlog appears: an idle socket holds none.
        self._flushers: trio.Nursery | None = None
        self._flushing = False
        self._closed_event = trio.Event()
        self._handler_scope: trio.CancelScope | None = None
        # Used on every message read, so settled once here: the clock's own method
        # (trio.current_time adds two calls), the frame kind and decoder of ``wire``.
        self._admission = Admission(trio.lowlevel.current_clock().current_time)
        self._speaks_text = wire is WireFormat.JSON
        self._decode = decode or client_message_decoder(wire)

    # -- writing --------------------------------------------------------------------

    def send_frames(self, frames: Frames) -> None:
        self.write(frames.for_wire(self.wire))

    def send(self, message: ServerMessage) -> None:
        self.write(Frames(message).for_wire(self.wire))

    def write(self, data: bytes) -> bool:
        """Write one whole frame, or queue what the kernel does not take; False once
        the socket is closed (a slow consumer is closed here)."""
        if self.closed:
            return False
        if self._backlog:
            limits = self._limits
            if (len(self._backlog) + len(data) > limits.max_backlog_bytes
                    or len(self._queued) >= limits.max_backlog_frames
                    or trio.current_time() - self._backlog_since > limits.max_backlog_seconds):
                self.close(CloseCode.POLICY_VIOLATION, SLOW_CONSUMER)
                return False
            self._queue(data)
            return True
        try:
            sent = self._sock.send(data)
        except BlockingIOError:
            sent = 0
        except OSError:
            self._lost()
            return False
        if sent < len(data):
            self._queue(data)
            self._taken(sent)
            self._backlog_since = trio.current_time()
            if not self._flushing and self._flushers is not None:
                self._flushing = True
                self._flushers.start_soon(self._flush_backlog)
        return True

    def _queue(self, frame: bytes) -> None:
        self._backlog += frame
        self._queued.append(len(frame))

    def _taken(self, sent: int) -> None:
        """The kernel took ``sent`` bytes from the head of the backlog."""
        del self._backlog[:sent]
        sent += self._head_sent
        queued, done = self._queued, 0
        while done < len(queued) and sent >= queued[done]:
            sent -= queued[done]
            done += 1
        del queued[:done]
        self._head_sent = sent

    def flush_in(self, nursery: trio.Nursery) -> None:
        """Write backlogs out from a task of ``nursery``, started when one appears; the
        nursery must end before ``linger_and_release`` (both wait to write)."""
        self._flushers = nursery

    async def _flush_backlog(self) -> None:
        try:
            while self._backlog and not self.closed:
                await trio.lowlevel.wait_writable(self._sock)
                try:
                    sent = self._sock.send(self._backlog)
                except BlockingIOError:
                    continue
                except OSError:
                    self._lost()
                    return
                # Partial progress does not reset the clock: a client whose window
                # opens a crack at a time is still one that cannot keep up.
                self._taken(sent)
        finally:
            self._flushing = False

    # -- reading --------------------------------------------------------------------

    def receive_nowait(self) -> list[ClientMessage]:
        """Whatever complete, valid messages have arrived; never blocks."""
        self._read()
        messages, self._pending = self._pending, []
        return messages

    async def receive(self) -> ClientMessage:
        """The next valid message; ConnectionClosed once the socket is closed."""
        while not self._pending:
            if self.closed:
                raise ConnectionClosed()
            await trio.lowlevel.wait_readable(self._sock)
            self._read()
        return self._pending.pop(0)

    def _read(self) -> None:
        """Whatever the kernel holds, up to READ_CHUNK, into ``_pending``."""
        if self.closed:
            return
        try:
            data = self._sock.recv(READ_CHUNK)
        except BlockingIOError:
            return
        except OSError:
            self._lost()
            return
        if data:
            self._take(data)
        else:
            self._lost()

    def _take(self, data: bytes) -> None:
        reader = self._reader
        try:
            reader.feed(data)
            while (event := reader.next_event()) is not None:
                match event:
                    case Message():
                        self._admit(event)
                    case Ping(payload):
                        self.write(encode_pong(payload))
                    case Close(code):
                        self.close(code if code is not None else CloseCode.NORMAL)
                        return
                if self.closed:
                    return
        except ProtocolViolation as violation:
            self.close(violation.close_code, violation.reason)

    def _admit(self, message: Message) -> None:
        verdict = self._admission.admit()
        if verdict is Verdict.CLOSE:
            self.close(*Admission.RATE_LIMITED)
        if verdict is not Verdict.TAKE:
            return
        payload = message.text if self._speaks_text else message.data
        try:
            if payload is None:
                raise msgspec.DecodeError(f"expected {'text' if self._speaks_text else 'binary'} frames")
            self._pending.append(self._decode(payload))
        except msgspec.DecodeError as error:
            if self._admission.malformed():
                self.close(*Admission.TOO_MANY_MALFORMED)
                return
            self.send(Error(code="malformed_message", detail=str(error)))

    # -- closing ----------------------------------------------------------------------

    def close(self, code: int, reason: str = "") -> None:
        """Queue a close frame behind what is already queued and stop using the socket.

        Never waits: whatever the kernel does not take now is written by
        ``linger_and_release``. A slow consumer's backlog is dropped first, since
        it is the very thing it could not take.
        """
        if self.closed:
            return
        if reason == SLOW_CONSUMER:
            self._drop_backlog()
        self._queue(encode_close(code, reason))
        self._mark_closed(code)
        self._flush_nowait()

    def _drop_backlog(self) -> None:
        """Drop every queued frame but the rest of one the kernel has begun to send."""
        unfinished = self._queued[0] - self._head_sent if self._head_sent else 0
        del self._backlog[unfinished:]
        self._queued = [self._queued[0]] if unfinished else []

    def _lost(self) -> None:
        """The peer went away without a close handshake."""
        self._backlog.clear()
        self._queued.clear()
        self._mark_closed(1006)

    def _mark_closed(self, code: int) -> None:
        self.closed = True
        self.close_code = code
        self._closed_event.set()
        if self._handler_scope is not None:
            self._handler_scope.cancel()

    def _flush_nowait(self) -> None:
        try:
            sent = self._sock.send(self._backlog)
        except BlockingIOError:
            return
        except OSError:
            self._backlog.clear()
            self._queued.clear()
            return
        self._taken(sent)

    async def wait_closed(self) -> None:
        await self._closed_event.wait()

    def hand_over(self) -> None:
        """The tick shard reads this socket from now on: stop the handler's reads."""
        if self._handler_scope is not None:
            self._handler_scope.cancel()

    def reading_scope(self) -> trio.CancelScope:
        """The scope the handler reads under, cancelled by ``hand_over`` or closing."""
        self._handler_scope = trio.CancelScope()
        if self.closed:
            self._handler_scope.cancel()
        return self._handler_scope

    async def linger_and_release(self) -> None:
        """Finish the closing handshake, then close the socket (RFC 6455 §7.1.1).

        Until the peer's own close frame (or EOF) arrives we keep reading and
        discarding: closing with unread data would send a reset, and the peer
        could lose our close frame and its code.
        """
        with trio.move_on_after(self._limits.linger_seconds):
            while self._backlog:
                await trio.lowlevel.wait_writable(self._sock)
                self._flush_nowait()
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_WR)
            while not self._peer_closed():
                await trio.lowlevel.wait_readable(self._sock)
        trio.lowlevel.notify_closing(self._sock)
        self._sock.close()

    def _peer_closed(self) -> bool:
        try:
            data = self._sock.recv(READ_CHUNK)
        except BlockingIOError:
            return False
        except OSError:
            return True
        if not data:
            return True
        try:
            self._reader.feed(data)
            return any(isinstance(event, Close) for event in self._reader)
        except ProtocolViolation:
            return True
