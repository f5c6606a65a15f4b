// What the game view draws, apart from the DOM: the field's geometry, the server's
// states interpolated for display, and the local paddle predicted and reconciled.
// Pure logic on plain numbers, so node's test runner checks it too.

export const FIELD = { width: 800, height: 600, paddleWidth: 10, paddleHeight: 100, ball: 8, leftX: 20, rightX: 770 };
export const PADDLE_SPEED = 10; // px per server tick, as the server clamps it
// Draw this many ticks behind the newest state: two broadcasts' worth of jitter.
const INTERPOLATION_TICKS = 2;
// Never guess further ahead of the newest state than this.
const MAX_EXTRAPOLATION_TICKS = 6;
// A ball that moved more than this between two states was served again: no lerp.
const TELEPORT = 120;
const KEEP_STATES = 32;

/** The [min, max] of a paddle's top in its lane (3v3 paddles keep to a third of the height). */
export function laneBounds(slot, teamSize) {
  if (teamSize <= 1) return [0, FIELD.height - FIELD.paddleHeight];
  const lane = FIELD.height / teamSize;
  const low = (slot % teamSize) * lane;
  return [low, low + lane - FIELD.paddleHeight];
}

/** Every paddle of a state as {userId, team, slot, y}, in slot order. */
export function paddlesOf(state) {
  if (state.paddles) return state.paddles.map((p, slot) => ({ userId: p.user_id, team: p.team, slot, y: p.y }));
  return [
    { userId: state.initiator_id, team: "a", slot: 0, y: state.initiator_paddle_y },
    { userId: state.invited_id, team: "b", slot: 1, y: state.invited_paddle_y },
  ];
}

/**
 * The states as they came, and a smooth clock over them: `frame(now)` gives the
 * ball and paddles to draw at `now` (ms), interpolated between the two states
 * around the render tick, or extrapolated a little past the newest one.
 */
export class StateBuffer {
  constructor(tickRate = 60) {
    this.tickRate = tickRate;
    this.states = [];
    this._renderTick = null;
    this._lastNow = null;
  }

  push(state, now) {
    const last = this.states.at(-1);
    if (last && state.tick <= last.state.tick) return; // duplicate or out of order
    this.states.push({ state, at: now });
    if (this.states.length > KEEP_STATES) this.states.shift();
  }

  reset() { this.states = []; this._renderTick = null; this._lastNow = null; }

  get latest() { return this.states.at(-1)?.state ?? null; }

  /** The server tick to draw at `now`: behind the newest state, never going back. */
  renderTick(now) {
    const newest = this.states.at(-1);
    if (!newest) return null;
    const target = newest.state.tick + ((now - newest.at) * this.tickRate) / 1000 - INTERPOLATION_TICKS;
    if (this._renderTick === null || this._lastNow === null) this._renderTick = target;
    else {
      const advanced = this._renderTick + ((now - this._lastNow) * this.tickRate) / 1000;
      // Follow the target, correcting a tenth of the drift per frame: no visible jumps.
      this._renderTick = Math.abs(target - advanced) > 10 ? target : advanced + (target - advanced) * 0.1;
    }
    this._lastNow = now;
    this._renderTick = Math.min(this._renderTick, newest.state.tick + MAX_EXTRAPOLATION_TICKS);
    return this._renderTick;
  }

  frame(now) {
    const tick = this.renderTick(now);
    if (tick === null) return null;
    const states = this.states;
    let i = states.length - 1;
    while (i > 0 && states[i - 1].state.tick > tick) i--;
    const after = states[i].state;
    const before = i > 0 ? states[i - 1].state : null;
    if (!before || tick >= after.tick) return extrapolate(states, tick);
    const t = Math.min(1, Math.max(0, (tick - before.tick) / (after.tick - before.tick)));
    return blend(before, after, t);
  }
}

function extrapolate(states, tick) {
  const last = states.at(-1).state;
  const previous = states.at(-2)?.state;
  if (!previous || tick <= last.tick) return blend(last, last, 0);
  const span = last.tick - previous.tick;
  const ahead = Math.min(tick - last.tick, MAX_EXTRAPOLATION_TICKS);
  const frame = blend(last, last, 0);
  if (span > 0 && !jumped(previous, last)) {
    frame.ballX += ((last.ball_position_x - previous.ball_position_x) / span) * ahead;
    frame.ballY += ((last.ball_position_y - previous.ball_position_y) / span) * ahead;
    frame.ballY = Math.min(FIELD.height - FIELD.ball, Math.max(FIELD.ball, frame.ballY));
  }
  return frame;
}

function jumped(a, b) {
  return Math.hypot(b.ball_position_x - a.ball_position_x, b.ball_position_y - a.ball_position_y) > TELEPORT;
}

function blend(a, b, t) {
  const snap = jumped(a, b);
  const mix = (x, y) => (snap ? (t < 0.5 ? x : y) : x + (y - x) * t);
  const pa = paddlesOf(a), pb = paddlesOf(b);
  return {
    ballX: mix(a.ball_position_x, b.ball_position_x),
    ballY: mix(a.ball_position_y, b.ball_position_y),
    paddles: pb.map((p, i) => ({ ...p, y: pa[i] ? pa[i].y + (p.y - pa[i].y) * t : p.y })),
    scoreA: b.initiator_score,
    scoreB: b.invited_score,
    tick: b.tick,
    secondsLeft: b.minutes_left !== undefined ? b.minutes_left * 60 + b.seconds_left : null,
  };
}

/**
 * The player's own paddle, moved at once by the controls (prediction) and pulled
 * back to what the server says whenever the two disagree for longer than a
 * round trip could explain (reconciliation).
 */
export class PredictedPaddle {
  constructor([min, max], y = (min + max) / 2) {
    this.min = min;
    this.max = max;
    this.y = y;
    this.target = null; // a touch's goal, else null
    this.direction = 0; // -1 up, +1 down, 0 still (keys)
    this._disagreeSince = null;
  }

  /** Advance by `dtMs`; returns true if the paddle moved (a position to send). */
  step(dtMs, tickRate = 60) {
    const reach = (PADDLE_SPEED * tickRate * dtMs) / 1000;
    const before = this.y;
    if (this.target !== null) {
      const delta = Math.max(-reach, Math.min(reach, this.target - this.y));
      this.y += delta;
    } else if (this.direction) {
      this.y += this.direction * reach;
    }
    this.y = Math.max(this.min, Math.min(this.max, this.y));
    return this.y !== before;
  }

  /** The server's position for this paddle at `now` (ms). */
  reconcile(serverY, now, tolerance = 3 * PADDLE_SPEED, patienceMs = 250) {
    const moving = this.direction !== 0 || (this.target !== null && Math.abs(this.target - this.y) > 0.5);
    if (Math.abs(serverY - this.y) <= tolerance || moving) { this._disagreeSince = null; return false; }
    this._disagreeSince ??= now;
    if (now - this._disagreeSince < patienceMs) return false;
    // Still and still wrong: the server is right (a reconnection, a clamp we missed).
    this.y += (serverY - this.y) * 0.5;
    if (Math.abs(serverY - this.y) < 1) this.y = serverY;
    return true;
  }
}
