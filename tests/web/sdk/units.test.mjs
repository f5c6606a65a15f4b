// The pure parts: the MessagePack codec, backoff, and the game view's interpolation and prediction.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as msgpack from "../../../courtside/web/static/sdk/msgpack.js";
import { backoff } from "../../../courtside/web/static/sdk/courtside.js";
import { StateBuffer, PredictedPaddle, laneBounds, FIELD } from "../../../courtside/web/static/app/field.js";

test("msgpack decodes what the server's msgspec encodes", () => {
  // msgspec.msgpack.encode({"type": "game_state_update", "state": {...}}) in Python.
  const bytes = Uint8Array.from([130, 164, 116, 121, 112, 101, 177, 103, 97, 109, 101, 95, 115, 116, 97, 116, 101, 95, 117, 112,
    100, 97, 116, 101, 165, 115, 116, 97, 116, 101, 134, 164, 116, 105, 99, 107, 206, 0, 1, 17, 112, 161, 120, 253, 161, 121,
    203, 63, 248, 0, 0, 0, 0, 0, 0, 163, 98, 105, 103, 207, 0, 0, 1, 0, 0, 0, 0, 0, 161, 115, 217, 40,
    ...Array(20).fill([195, 169]).flat(), 164, 108, 105, 115, 116, 148, 1, 192, 195, 194]);
  assert.deepEqual(msgpack.decode(bytes), {
    type: "game_state_update",
    state: { tick: 70000, x: -3, y: 1.5, big: 2 ** 40, s: "é".repeat(20), list: [1, null, true, false] },
  });
});

test("msgpack round-trips every shape the game socket sends", () => {
  const values = [0, 127, 128, -1, -32, -33, 65535, 2 ** 32 - 1, -(2 ** 31), 0.5, -123.25, 1e300, "", "a".repeat(40),
    "ü".repeat(200), "x".repeat(70000), [], [1, [2, [3]]], Array(20).fill(7), {}, { type: "paddle_position_update", position: 412.5 },
    Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])), null, true, false];
  for (const value of values) assert.deepEqual(msgpack.decode(msgpack.encode(value)), value);
  assert.throws(() => msgpack.decode(Uint8Array.from([0x92, 1])), /truncated/);
  assert.throws(() => msgpack.decode(Uint8Array.from([1, 2])), /trailing/);
});

test("backoff grows, is jittered, and is capped", () => {
  for (let attempt = 0; attempt < 12; attempt++) {
    const ceiling = Math.min(15_000, 500 * 2 ** attempt);
    const delay = backoff(attempt);
    assert.ok(delay >= ceiling / 2 && delay <= ceiling, `attempt ${attempt}: ${delay}`);
  }
});

function state(tick, ballX, ballY, paddles = [250, 250]) {
  return { tick, ball_position_x: ballX, ball_position_y: ballY, initiator_paddle_y: paddles[0], invited_paddle_y: paddles[1],
    initiator_id: 1, invited_id: 2, initiator_score: 0, invited_score: 0, ball_direction_x: 1, ball_direction_y: 0, tournament: false };
}

test("states are drawn interpolated two ticks behind the newest", () => {
  const buffer = new StateBuffer(60);
  buffer.push(state(10, 100, 300), 1000);
  buffer.push(state(11, 110, 300), 1000 + 1000 / 60);
  buffer.push(state(12, 120, 300, [250, 270]), 1000 + 2000 / 60);
  const frame = buffer.frame(1000 + 2000 / 60);
  assert.ok(Math.abs(frame.ballX - 100) < 1e-6, `ball at ${frame.ballX}`);
  const later = buffer.frame(1000 + 2500 / 60); // half a tick on
  assert.ok(later.ballX > 100 && later.ballX < 110, `ball at ${later.ballX}`);
});

test("past the newest state the ball is extrapolated, at most six ticks", () => {
  const buffer = new StateBuffer(60);
  buffer.push(state(10, 100, 300), 0);
  buffer.push(state(11, 110, 300), 0);
  const frame = buffer.frame(1000); // a whole second without news
  assert.equal(frame.ballX, 110 + 6 * 10);
});

test("a serve after a goal snaps instead of sweeping the ball across the field", () => {
  const buffer = new StateBuffer(60);
  buffer.push(state(10, 790, 300), 0);
  buffer.push(state(11, 400, 300), 1000 / 60);
  buffer.push(state(12, 400, 300), 2000 / 60);
  buffer.push(state(13, 400, 300), 3000 / 60);
  for (let now = 3000 / 60; now < 4000 / 60; now += 2) {
    const { ballX } = buffer.frame(now);
    assert.ok(ballX === 790 || ballX === 400, `ball drawn at ${ballX}`);
  }
});

test("late and repeated states are ignored", () => {
  const buffer = new StateBuffer(60);
  buffer.push(state(10, 100, 300), 0);
  buffer.push(state(9, 0, 0), 1);
  buffer.push(state(10, 0, 0), 2);
  assert.equal(buffer.states.length, 1);
});

test("the predicted paddle moves at the server's speed and stays in its lane", () => {
  const paddle = new PredictedPaddle(laneBounds(0, 1), 250);
  paddle.direction = 1;
  assert.equal(paddle.step(1000 / 60), true);
  assert.equal(paddle.y, 260);
  for (let i = 0; i < 100; i++) paddle.step(1000 / 60);
  assert.equal(paddle.y, FIELD.height - FIELD.paddleHeight);
  assert.equal(paddle.step(1000 / 60), false);
  assert.deepEqual(laneBounds(4, 3), [200, 300]);
  const touch = new PredictedPaddle(laneBounds(0, 1), 250);
  touch.target = 255;
  touch.step(1000 / 60);
  assert.equal(touch.y, 255);
});

test("reconciliation follows the server only when the paddle is still and stays wrong", () => {
  const paddle = new PredictedPaddle([0, 500], 100);
  assert.equal(paddle.reconcile(300, 0), false); // a disagreement begins
  assert.equal(paddle.reconcile(300, 100), false); // a round trip could explain it
  assert.equal(paddle.reconcile(300, 300), true);
  assert.equal(paddle.y, 200);
  paddle.direction = -1;
  assert.equal(paddle.reconcile(500, 1000), false); // the player is moving: prediction wins
  paddle.direction = 0;
  assert.equal(paddle.reconcile(205, 2000), false); // close enough
});
