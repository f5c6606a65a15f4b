"""The bare baseline: the 60 Hz 1v1 job written the plain way, with trio + trio-websocket.

What bench/matches.py compares Courtside's game port against (DESIGN.md §13):
the same URL, the same messages and the same state keys, but none of the
engine: no authentication (the first message is read and ignored), no
persistence, no actors, no validation or rate limits, no metrics, no input log.
Per socket, trio-websocket's own tasks plus a handler task that reads paddle
updates; per match, one task that loops on a 60 Hz deadline grid, steps a
simple ball, encodes the state with the standard ``json`` module and
``await ws.send_message(...)`` to each player in turn.

    python bench/baseline_bare.py --port 9100 [--matches 4000]

Matches are pre-declared: codes ``bare00000`` … ``bare<N-1>``; any other path
is refused with 404. The first two sockets on a code are its players.
"""

from __future__ import annotations

import argparse
import json
import random
import re

import trio
from trio_websocket import ConnectionClosed, WebSocketConnection, WebSocketRequest, serve_websocket

TICK_RATE = 60
COUNTDOWN = 3.0
WIDTH, HEIGHT = 800.0, 600.0
PADDLE_HEIGHT, BALL_RADIUS = 100.0, 8.0
LEFT_FACE, RIGHT_FACE = 30.0 + BALL_RADIUS, 770.0 - BALL_RADIUS
MAX_PADDLE_SPEED, SERVE_SPEED, MAX_BALL_SPEED = 10.0, 6.0, 15.0
PATH = re.compile(r"^/ws/game/([A-Za-z0-9_-]{1,32})/?$")


def code_of(index: int) -> str:
    return f"bare{index:05d}"


class BareMatch:
    def __init__(self, code: str, index: int, nursery: trio.Nursery) -> None:
        self.code = code
        self.ids = (2 * index + 1, 2 * index + 2)
        self.nursery = nursery
        self.players: list[WebSocketConnection] = []
        self.ready = [False, False]
        self.started = False
        self.paddle_y = [250.0, 250.0]
        self.target_y = [250.0, 250.0]
        self.score = [0, 0]
        self.tick = 0
        self._serve(towards=1)

    def _serve(self, towards: int) -> None:
        self.ball_x, self.ball_y = WIDTH / 2, HEIGHT / 2
        angle = random.uniform(-0.5, 0.5)
        speed = SERVE_SPEED
        self.dx = speed * (1.0 if towards == 1 else -1.0)
        self.dy = speed * angle

    def set_ready(self, seat: int) -> None:
        self.ready[seat] = True
        if all(self.ready) and len(self.players) == 2 and not self.started:
            self.started = True
            self.nursery.start_soon(self.play)

    def step(self) -> None:
        for seat in (0, 1):
            move = self.target_y[seat] - self.paddle_y[seat]
            move = max(-MAX_PADDLE_SPEED, min(MAX_PADDLE_SPEED, move))
            self.paddle_y[seat] = max(0.0, min(HEIGHT - PADDLE_HEIGHT, self.paddle_y[seat] + move))
        self.tick += 1
        self.ball_x += self.dx
        self.ball_y += self.dy
        if self.ball_y < BALL_RADIUS or self.ball_y > HEIGHT - BALL_RADIUS:
            self.dy = -self.dy
            self.ball_y = max(BALL_RADIUS, min(HEIGHT - BALL_RADIUS, self.ball_y))
        for seat, face, inward in ((0, LEFT_FACE, 1.0), (1, RIGHT_FACE, -1.0)):
            if (self.ball_x - face) * inward <= 0:
                top = self.paddle_y[seat]
                if top - BALL_RADIUS <= self.ball_y <= top + PADDLE_HEIGHT + BALL_RADIUS:
                    self.ball_x = face
                    speed = min(MAX_BALL_SPEED, abs(self.dx) * 1.05)
                    self.dx = speed * inward
                else:
                    self.score[1 - seat] += 1
                    self._serve(towards=seat)

    def state_json(self) -> str:
        return json.dumps({
            "type": "game_state_update",
            "state": {
                "initiator_id": self.ids[0], "invited_id": self.ids[1],
                "initiator_score": self.score[0], "invited_score": self.score[1],
                "initiator_paddle_y": self.paddle_y[0], "invited_paddle_y": self.paddle_y[1],
                "ball_position_x": self.ball_x, "ball_position_y": self.ball_y,
                "ball_direction_x": self.dx, "ball_direction_y": self.dy,
                "tournament": False, "tick": self.tick,
            },
        })

    async def play(self) -> None:
        try:
            start_tick = self.tick + round(COUNTDOWN * TICK_RATE)
            for ws in self.players:
                await ws.send_message(json.dumps({"type": "game_starts", "start_tick": start_tick}))
            await trio.sleep(COUNTDOWN)
            deadline = trio.current_time()
            while True:
                deadline += 1 / TICK_RATE
                await trio.sleep_until(deadline)
                self.step()
                message = self.state_json()
                for ws in self.players:
                    await ws.send_message(message)
        except ConnectionClosed:
            for ws in self.players:
                await ws.aclose()


class BareServer:
    def __init__(self, matches: int, nursery: trio.Nursery) -> None:
        self.matches = {code_of(i): BareMatch(code_of(i), i, nursery) for i in range(matches)}

    async def handle(self, request: WebSocketRequest) -> None:
        found = PATH.match(request.path.split("?", 1)[0])
        match = self.matches.get(found.group(1)) if found else None
        if match is None:
            await request.reject(404)
            return
        ws = await request.accept()
        if len(match.players) >= 2:
            await ws.aclose(4409, "match is full")
            return
        seat = len(match.players)
        match.players.append(ws)
        try:
            await ws.get_message()  # {"type": "authenticate", ...}: accepted, not checked
            await ws.send_message(json.dumps({
                "type": "welcome", "role": "player", "side": "ab"[seat],
                "players": [{"user_id": match.ids[i], "team": "ab"[i], "slot": i} for i in (0, 1)],
                "config": {"mode": "duel", "score_to_win": 5, "tick_rate": TICK_RATE,
                           "broadcast_rate": TICK_RATE, "grace_seconds": 10.0},
            }))
            while True:
                message = json.loads(await ws.get_message())
                kind = message.get("type")
                if kind == "paddle_position_update":
                    match.target_y[seat] = float(message["position"])
                elif kind == "report_ready":
                    match.set_ready(seat)
        except ConnectionClosed:
            pass


async def main(port: int, matches: int) -> None:
    async with trio.open_nursery() as nursery:
        server = BareServer(matches, nursery)
        listener = await nursery.start(
            lambda task_status: serve_websocket(
                server.handle, "127.0.0.1", port, ssl_context=None, task_status=task_status,
            )
        )
        print(json.dumps({"listening": listener.port, "matches": matches}), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--matches", type=int, default=4000, help="pre-declared match codes")
    args = parser.parse_args()
    try:
        trio.run(main, args.port, args.matches)
    except KeyboardInterrupt:
        pass
