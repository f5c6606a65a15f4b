// The Colyseus side of bench/matches.py: one room type, "pong", a 1v1 Courtside match.
//
//     NODE_ENV=production node bench/colyseus/server.mjs --port 2567
//
// Players reserve seats over Colyseus' HTTP matchmaking (POST /matchmake/create/pong,
// then /matchmake/joinById/<roomId>) and connect to /<processId>/<roomId>?sessionId=...
// Once both have joined, the room steps courtside/actors/physics.py's 1v1 rules at
// 60 Hz and broadcasts a "state" message with game_state_update's state keys each
// tick; a "paddle" message carries the paddle top a player asks for, as Courtside's
// paddle_position_update does. Points are counted but never end the match.

import { parseArgs } from "node:util";
import { Room, Server } from "@colyseus/core";
import { WebSocketTransport } from "@colyseus/ws-transport";

const TICK_RATE = 60;
const SEAT_RESERVATION_SECONDS = 600; // as the Courtside run's seat timeout: the ramp connects late

// courtside/actors/physics.py, 1v1 only.
const FIELD_WIDTH = 800, FIELD_HEIGHT = 600;
const PADDLE_WIDTH = 10, PADDLE_HEIGHT = 100, BALL_RADIUS = 8;
const LEFT_PADDLE_X = 20, RIGHT_PADDLE_X = 770;
const PADDLE_TOP_MAX = FIELD_HEIGHT - PADDLE_HEIGHT;
const MAX_PADDLE_SPEED = 10, SERVE_SPEED = 6, SPEED_GAIN = 1.05, MAX_BALL_SPEED = 15;
const MAX_BOUNCE_SLOPE = Math.sqrt(3), MAX_SERVE_SLOPE = 1 / Math.sqrt(3);
const SERVE_DELAY_TICKS = 60;
const TOP = BALL_RADIUS, BOTTOM = FIELD_HEIGHT - BALL_RADIUS;
const LEFT_GOAL = BALL_RADIUS, RIGHT_GOAL = FIELD_WIDTH - BALL_RADIUS;
const LEFT_FACE = LEFT_PADDLE_X + PADDLE_WIDTH + BALL_RADIUS, RIGHT_FACE = RIGHT_PADDLE_X - BALL_RADIUS;
const LEFT_BACK = LEFT_PADDLE_X - BALL_RADIUS, RIGHT_BACK = RIGHT_PADDLE_X + PADDLE_WIDTH + BALL_RADIUS;
const HALF_PADDLE = PADDLE_HEIGHT / 2, FACE_REACH = HALF_PADDLE + BALL_RADIUS;

const reflect = (y) => (y < TOP ? 2 * TOP - y : y > BOTTOM ? 2 * BOTTOM - y : y);

function xorshift32(x) {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  return x >>> 0;
}

class Pong {
  constructor(seed) {
    this.tick = 0;
    this.paddles = [PADDLE_TOP_MAX / 2, PADDLE_TOP_MAX / 2];
    this.scores = [0, 0];
    this.rng = seed;
    this.serveWait = 0; // the opening serve goes at once
    this.serve(0);
  }

  // The ball in the centre, flying away from ``serving`` (0: team a) at a drawn angle.
  serve(serving) {
    this.serving = serving;
    this.rng = xorshift32(this.rng);
    const slope = (this.rng / 2 ** 31 - 1) * MAX_SERVE_SLOPE;
    const norm = Math.sqrt(1 + slope * slope);
    this.x = FIELD_WIDTH / 2;
    this.y = FIELD_HEIGHT / 2;
    this.dx = (serving === 0 ? 1 : -1) / norm;
    this.dy = slope / norm;
    this.speed = SERVE_SPEED;
  }

  // One tick: ``inputs`` holds each paddle's requested top, or null.
  step(inputs) {
    this.tick++;
    for (let slot = 0; slot < 2; slot++) {
      const wanted = inputs[slot];
      if (wanted === null || !Number.isFinite(wanted)) continue;
      const top = this.paddles[slot];
      const moved = Math.min(top + MAX_PADDLE_SPEED, Math.max(top - MAX_PADDLE_SPEED, wanted));
      this.paddles[slot] = Math.min(PADDLE_TOP_MAX, Math.max(0, moved));
    }
    if (this.serveWait) {
      this.serveWait--;
      return;
    }
    if (!this.offFace()) this.fly();
    if (this.x <= LEFT_GOAL) this.goal(1);
    else if (this.x >= RIGHT_GOAL) this.goal(0);
  }

  // The ball crosses a face this tick: its bounce off the paddle there, if it meets it.
  offFace() {
    const nextX = this.x + this.dx * this.speed, nextY = this.y + this.dy * this.speed;
    let face, slot;
    if (this.dx < 0 && this.x >= LEFT_FACE && LEFT_FACE > nextX) [face, slot] = [LEFT_FACE, 0];
    else if (this.dx > 0 && this.x <= RIGHT_FACE && RIGHT_FACE < nextX) [face, slot] = [RIGHT_FACE, 1];
    else return false;
    const crossedAt = (face - this.x) / (nextX - this.x);
    const contactY = reflect(this.y + (nextY - this.y) * crossedAt);
    const offset = contactY - (this.paddles[slot] + HALF_PADDLE);
    if (offset < -FACE_REACH || offset > FACE_REACH) return false;
    const slope = (offset / FACE_REACH) * MAX_BOUNCE_SLOPE;
    const norm = Math.sqrt(1 + slope * slope);
    this.dx = (slot === 0 ? 1 : -1) / norm;
    this.dy = slope / norm;
    this.speed = Math.min(this.speed * SPEED_GAIN, MAX_BALL_SPEED);
    const rest = (1 - crossedAt) * this.speed;
    this.x = face + this.dx * rest;
    this.y = this.wall(contactY + this.dy * rest);
    return true;
  }

  // A straight move, off the walls, and out of a paddle's top or bottom behind its face.
  fly() {
    this.x += this.dx * this.speed;
    this.y = this.wall(this.y + this.dy * this.speed);
    const slot = LEFT_BACK < this.x && this.x < LEFT_FACE ? 0 : RIGHT_FACE < this.x && this.x < RIGHT_BACK ? 1 : -1;
    const top = this.paddles[slot];
    if (slot < 0 || this.y <= top - BALL_RADIUS || this.y >= top + PADDLE_HEIGHT + BALL_RADIUS) return;
    if (this.y < top + HALF_PADDLE) {
      this.y = Math.max(top - BALL_RADIUS, TOP);
      this.dy = -Math.abs(this.dy);
    } else {
      this.y = Math.min(top + PADDLE_HEIGHT + BALL_RADIUS, BOTTOM);
      this.dy = Math.abs(this.dy);
    }
  }

  // ``y`` off the wall it crossed, turning the ball back vertically.
  wall(y) {
    if (y < TOP || y > BOTTOM) this.dy = -this.dy;
    return reflect(y);
  }

  goal(scoring) {
    this.scores[scoring]++;
    this.serve(1 - this.serving);
    this.serveWait = SERVE_DELAY_TICKS;
  }
}

let lastUserId = 0;

class PongRoom extends Room {
  maxClients = 2;

  onCreate() {
    this.setSeatReservationTime(SEAT_RESERVATION_SECONDS);
    this.patchRate = null; // no schema state to patch: the state goes as a message
    this.ids = [++lastUserId, ++lastUserId];
    this.seats = new Map(); // sessionId -> paddle slot
    this.inputs = [null, null];
    this.onMessage("paddle", (client, position) => {
      const slot = this.seats.get(client.sessionId);
      if (slot !== undefined && typeof position === "number") this.inputs[slot] = position;
    });
  }

  onJoin(client) {
    this.seats.set(client.sessionId, this.seats.size);
    if (this.seats.size === 2) this.play();
  }

  onLeave() {
    clearTimeout(this.timer);
  }

  onDispose() {
    clearTimeout(this.timer);
  }

  // A 60 Hz deadline grid: setSimulationInterval's setInterval runs about 3 % fast on
  // Node 20 (its ms timers around 16.67 ms), and the load client expects 60 states a second.
  play() {
    const game = new Pong((Math.random() * 2 ** 32) >>> 0 || 1);
    let deadline = performance.now();
    const tick = () => {
      game.step(this.inputs);
      this.inputs = [null, null]; // as Courtside: a tick applies the positions asked since the last
      this.broadcast("state", {
        initiator_id: this.ids[0],
        invited_id: this.ids[1],
        initiator_score: game.scores[0],
        invited_score: game.scores[1],
        initiator_paddle_y: game.paddles[0],
        invited_paddle_y: game.paddles[1],
        ball_position_x: game.x,
        ball_position_y: game.y,
        ball_direction_x: game.dx,
        ball_direction_y: game.dy,
        tournament: false,
        tick: game.tick,
      });
      deadline += 1000 / TICK_RATE;
      this.timer = setTimeout(tick, deadline - performance.now());
    };
    deadline += 1000 / TICK_RATE;
    this.timer = setTimeout(tick, deadline - performance.now());
  }
}

const { values } = parseArgs({ options: { port: { type: "string", default: "2567" } } });
const server = new Server({ transport: new WebSocketTransport(), greet: false });
server.define("pong", PongRoom);
await server.listen(Number(values.port), "127.0.0.1");
console.log(JSON.stringify({ listening: Number(values.port) }));
