"""Hypercorn's WebSocket stream, made to fail a connection the way RFC 6455 says.

wsproto reports a frame it cannot accept (a text message that is not UTF-8, a
protocol error) as a ``CloseConnection`` event carrying the code to send, 1007 or
1002, without sending it; hypercorn 0.18 takes every ``CloseConnection`` for the
peer's and, the peer not having closed, drops the TCP connection without a close
frame, so a client only learns "1006, abnormal closure". This stream sends the
close frame first.

A message over the size limit gets its 1009 from hypercorn, but hypercorn then
stops reading events, the peer's answering close among them, and holds the
connection open until the peer gives up. This stream skips the rest of the
message and reads on to the peer's close.

The loop is hypercorn's own ``_handle_events`` otherwise. Installed for HTTP/1.1
(every browser's WebSocket) by ``install()``.
"""

from __future__ import annotations

import hypercorn.protocol.h11
from hypercorn.protocol.events import StreamClosed
from hypercorn.protocol.ws_stream import FrameTooLargeError, WSStream
from wsproto.connection import ConnectionState
from wsproto.events import CloseConnection, Message, Ping
from wsproto.frame_protocol import CloseReason


class FailingWSStream(WSStream):
    async def _handle_events(self) -> None:
        for event in self.connection.events():
            if isinstance(event, Message):
                if self.connection.state is not ConnectionState.OPEN:
                    continue  # the rest of a message too big, before the peer's close
                try:
                    self.buffer.extend(event)
                except FrameTooLargeError:
                    self.buffer.clear()
                    await self._send_wsproto_event(CloseConnection(code=CloseReason.MESSAGE_TOO_BIG))
                    continue
                if event.message_finished:
                    await self.app_put(self.buffer.to_message())
                    self.buffer.clear()
            elif isinstance(event, Ping):
                await self._send_wsproto_event(event.response())
            elif isinstance(event, CloseConnection):
                if self.connection.state in (ConnectionState.REMOTE_CLOSING, ConnectionState.OPEN):
                    # OPEN: the peer did not close, wsproto failed its frame: say why.
                    await self._send_wsproto_event(event.response())
                await self.send(StreamClosed(stream_id=self.stream_id))


def install() -> None:
    """Serve HTTP/1.1 WebSocket upgrades with ``FailingWSStream``."""
    hypercorn.protocol.h11.WSStream = FailingWSStream  # type: ignore[misc]
