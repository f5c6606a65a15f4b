// The match: a canvas redrawn at the display's frame rate from interpolated server
// states, the local paddle predicted, countdown, pause and result overlays.
import { h, replace } from "./dom.js";
import { app } from "./main.js";
import { toast, toastError } from "./toasts.js";
import { FIELD, StateBuffer, PredictedPaddle, laneBounds } from "./field.js";

const COLORS = { bg: "#0d1b2a", line: "rgba(255,255,255,0.18)", a: "#4cc9f0", b: "#f72585", me: "#ffd166", ball: "#ffffff", text: "#e0e6ef" };
const KEYS_UP = new Set(["ArrowUp", "w", "W"]);
const KEYS_DOWN = new Set(["ArrowDown", "s", "S"]);
const REASONS = { score: "", forfeit: "by forfeit", disconnect: "after a disconnection", timeout: "on time", aborted: "aborted" };

export async function gameView(code, wsUrl) {
  const { client } = app;
  if (!wsUrl) {
    const live = (await client.play.live()).results.find((m) => m.code === code);
    if (!live) return h("section.card", {}, h("h2", {}, "This match is over"), h("a", { href: `#/users/${app.me.id}` }, "See your history"));
    wsUrl = live.ws_url;
  }
  const match = client.game.open(wsUrl, { format: "msgpack" });
  const canvas = h("canvas.pong-field", { id: "field", width: FIELD.width, height: FIELD.height, "aria-label": "Pong field", tabindex: 0 });
  const overlay = h("div.overlay", { id: "overlay" });
  const banner = h("div.banner", { id: "banner", hidden: true });
  const header = h("header.game-header", {}, h("span.team.a", { id: "team-a" }), h("span.vs", { id: "game-status" }, "Connecting…"), h("span.team.b", { id: "team-b" }));
  const forfeit = h("button.ghost.danger", { id: "forfeit", hidden: true, onclick: () => { if (match.phase !== "ended" && confirm("Forfeit this match?")) match.leave(); } }, "Forfeit");
  const buffer = new StateBuffer();
  const names = new Map();
  // Measured for the bench and shown in a corner: frames drawn, key-to-confirmed latency.
  const telemetry = { frames: 0, fps: 0, confirmations: [], role: null, phase: "connecting", ball: null, paddles: 0, myY: null, serverY: null, result: null };
  app.game = telemetry;
  let me = null; // {slot, team, paddle}
  let pending = null; // a key press waiting for the server to show the paddle moving
  let confirmedPress = null; // the press time of a move the server just confirmed
  let countdownEnd = null;
  let pausedUntil = null;
  let running = true;
  let lastFrame = performance.now();
  let fpsWindow = { start: lastFrame, frames: 0 };

  function setOverlay(...content) { replace(overlay, ...content); overlay.hidden = content.length === 0; }

  match.on("welcome", async (welcome) => {
    telemetry.role = welcome.role;
    forfeit.hidden = welcome.role !== "player";
    buffer.tickRate = welcome.config.tick_rate;
    const teamSize = welcome.players.length / 2;
    const mine = welcome.players.find((p) => p.user_id === app.me.id);
    if (welcome.role === "player" && mine) {
      const bounds = laneBounds(mine.slot, teamSize);
      const y = me?.paddle.y ?? (bounds[0] + bounds[1]) / 2;
      me = { slot: mine.slot, team: mine.team, paddle: new PredictedPaddle(bounds, y) };
      match.ready();
    }
    await labelTeams(welcome);
    if (match.phase === "waiting") setOverlay(h("h2", {}, welcome.role === "player" ? "Waiting for your opponent…" : "Spectating · waiting for the players"));
  });
  match.on("starts", ({ start_tick }) => {
    const now = buffer.latest?.tick ?? 0;
    countdownEnd = performance.now() + ((start_tick - now) * 1000) / buffer.tickRate;
  });
  match.on("state", (state) => {
    buffer.push(state, performance.now());
    if (pausedUntil === null && countdownEnd === null && !overlay.hidden && match.phase === "playing") setOverlay();
    if (me) {
      const serverY = match.paddleY(state);
      telemetry.serverY = serverY;
      if (pending && Math.sign(serverY - pending.fromY) === pending.direction && Math.abs(serverY - pending.fromY) >= 1) {
        confirmedPress = pending.at; // measured when the next frame draws it
        pending = null;
      }
      if (me.paddle.reconcile(serverY, performance.now())) match.move(me.paddle.y);
    }
  });
  match.on("paused", ({ grace_seconds }) => {
    pausedUntil = performance.now() + grace_seconds * 1000;
    setOverlay(h("h2", {}, "Opponent disconnected"), h("p", { id: "pause-left" }, `Waiting up to ${Math.round(grace_seconds)} s for them to come back…`));
  });
  match.on("resumed", () => { pausedUntil = null; setOverlay(); toast("Your opponent is back", { kind: "success" }); });
  match.on("reconnecting", () => { banner.hidden = false; banner.textContent = "Connection lost · reconnecting…"; });
  match.on("open", () => { banner.hidden = true; });
  match.on("error", (error) => { if (error.code === "reconnect_failed") { banner.hidden = false; banner.textContent = error.detail; } });
  match.on("close", ({ code }) => {
    if (code === 4409) { banner.hidden = false; banner.textContent = "This match is open in another tab."; }
    if (code === 4404) setOverlay(h("h2", {}, "No such match"), h("a.button", { href: "#/play" }, "Back"));
  });
  match.on("ended", (result) => { telemetry.result = result; forfeit.hidden = true; showResult(result); });

  async function labelTeams(welcome) {
    for (const seat of welcome.players) {
      if (names.has(seat.user_id)) continue;
      try { names.set(seat.user_id, (await client.request("GET", `/api/users/${seat.user_id}/`)).nickname); }
      catch { names.set(seat.user_id, `Player ${seat.user_id}`); }
    }
    const teamNames = (team) => welcome.players.filter((p) => p.team === team).map((p) => names.get(p.user_id)).join(", ");
    document.getElementById("team-a").textContent = teamNames("a");
    document.getElementById("team-b").textContent = teamNames("b");
  }

  function status(text) {
    const line = document.getElementById("game-status");
    if (line && line.textContent !== text) line.textContent = text;
  }

  function statusLine() {
    const spectating = match.welcome?.role === "spectator";
    switch (match.phase) {
      case "connecting": return "Connecting…";
      case "waiting": return spectating ? "Spectating · waiting for the players" : `First to ${match.welcome.config.score_to_win}`;
      case "countdown": return "Get ready";
      case "paused": return "Paused";
      case "ended": return "Final";
      default: return countdownEnd !== null ? "Get ready" : spectating ? "Spectating" : "Playing";
    }
  }

  function showResult(result) {
    const myTeam = me?.team;
    const won = myTeam && result.winner_id !== null && (myTeam === "a" ? result.winner_id === result.initiator_id : result.winner_id === result.invited_id);
    const title = !myTeam ? (result.winner_id ? `${names.get(result.winner_id) ?? "Someone"} wins` : "Match over")
      : result.winner_id === null ? "No winner" : won ? "You won!" : "You lost";
    const rematch = h("button.primary", { id: "rematch", onclick: async () => {
      try {
        const answer = await client.play.rematch(code);
        if (answer.status !== "started") { rematch.disabled = true; rematch.textContent = "Waiting for your opponent…"; }
      } catch (error) { toastError(error); }
    } }, "Rematch");
    setOverlay(h("div.result", { id: "result", dataset: { outcome: !myTeam ? "spectator" : won ? "won" : "lost" } },
      h("h2", {}, title),
      h("p.final-score", {}, `${result.initiator_score} – ${result.invited_score}`, REASONS[result.reason] ? ` ${REASONS[result.reason]}` : ""),
      h("div.row", {}, myTeam && rematch, h("a.button.ghost", { href: `#/users/${app.me.id}` }, "Your history"), h("a.button.ghost", { href: "#/play" }, "Play again"))));
  }

  // Controls: keys move at the paddle's speed; a touch drags the paddle's middle to the finger.
  function keydown(event) {
    if (!me || event.repeat || event.target.tagName === "INPUT") return;
    const direction = KEYS_UP.has(event.key) ? -1 : KEYS_DOWN.has(event.key) ? 1 : 0;
    if (!direction) return;
    event.preventDefault();
    me.paddle.target = null;
    me.paddle.direction = direction;
    pending = { at: performance.now(), fromY: telemetry.serverY ?? me.paddle.y, direction };
  }
  function keyup(event) {
    if (!me) return;
    if ((KEYS_UP.has(event.key) && me.paddle.direction < 0) || (KEYS_DOWN.has(event.key) && me.paddle.direction > 0)) me.paddle.direction = 0;
  }
  function touch(event) {
    if (!me) return;
    event.preventDefault();
    const rect = canvas.getBoundingClientRect();
    const y = ((event.touches[0].clientY - rect.top) / rect.height) * FIELD.height;
    me.paddle.direction = 0;
    me.paddle.target = y - FIELD.paddleHeight / 2;
  }
  addEventListener("keydown", keydown);
  addEventListener("keyup", keyup);
  canvas.addEventListener("touchstart", touch, { passive: false });
  canvas.addEventListener("touchmove", touch, { passive: false });
  canvas.addEventListener("touchend", () => { if (me) me.paddle.target = null; });

  const context = canvas.getContext("2d");
  function draw(now) {
    if (!running) return;
    requestAnimationFrame(draw);
    const dt = Math.min(now - lastFrame, 100);
    lastFrame = now;
    telemetry.frames++;
    fpsWindow.frames++;
    if (now - fpsWindow.start >= 1000) { telemetry.fps = (fpsWindow.frames * 1000) / (now - fpsWindow.start); fpsWindow = { start: now, frames: 0 }; }
    if (me && match.phase === "playing" && me.paddle.step(dt, buffer.tickRate)) match.move(me.paddle.y);
    const frame = buffer.frame(now);
    if (confirmedPress !== null) {
      telemetry.confirmations.push(now - confirmedPress);
      if (telemetry.confirmations.length > 1000) telemetry.confirmations.shift();
      confirmedPress = null;
    }
    telemetry.phase = match.phase;
    telemetry.ball = frame && { x: frame.ballX, y: frame.ballY };
    telemetry.paddles = frame?.paddles.length ?? 0;
    telemetry.myY = me?.paddle.y ?? null;
    render(context, frame, now);
  }

  function render(ctx, frame, now) {
    ctx.fillStyle = COLORS.bg;
    ctx.fillRect(0, 0, FIELD.width, FIELD.height);
    ctx.strokeStyle = COLORS.line;
    ctx.setLineDash([12, 14]);
    ctx.lineWidth = 3;
    ctx.beginPath(); ctx.moveTo(FIELD.width / 2, 0); ctx.lineTo(FIELD.width / 2, FIELD.height); ctx.stroke();
    ctx.setLineDash([]);
    const teamSize = (match.welcome?.players.length ?? 2) / 2;
    if (teamSize > 1) {
      ctx.lineWidth = 1;
      for (let lane = 1; lane < teamSize; lane++) {
        const y = (lane * FIELD.height) / teamSize;
        ctx.beginPath(); ctx.moveTo(0, y); ctx.lineTo(FIELD.width, y); ctx.stroke();
      }
    }
    if (frame) {
      ctx.fillStyle = COLORS.text;
      ctx.font = "bold 56px system-ui, sans-serif";
      ctx.textAlign = "center";
      ctx.fillText(String(frame.scoreA), FIELD.width / 2 - 80, 70);
      ctx.fillText(String(frame.scoreB), FIELD.width / 2 + 80, 70);
      if (frame.secondsLeft !== null) {
        ctx.font = "20px system-ui, sans-serif";
        ctx.fillText(`${Math.floor(frame.secondsLeft / 60)}:${String(frame.secondsLeft % 60).padStart(2, "0")}`, FIELD.width / 2, 100);
      }
      for (const paddle of frame.paddles) {
        const mine = me && paddle.slot === me.slot;
        const y = mine ? me.paddle.y : paddle.y;
        ctx.fillStyle = mine ? COLORS.me : COLORS[paddle.team];
        ctx.fillRect(paddle.team === "a" ? FIELD.leftX : FIELD.rightX, y, FIELD.paddleWidth, FIELD.paddleHeight);
      }
      if (match.phase !== "countdown" && match.phase !== "ended") {
        ctx.fillStyle = COLORS.ball;
        ctx.beginPath(); ctx.arc(frame.ballX, frame.ballY, FIELD.ball, 0, Math.PI * 2); ctx.fill();
      }
    }
    if (countdownEnd !== null) {
      const left = Math.ceil((countdownEnd - now) / 1000);
      if (left > 0) {
        if (overlay.hidden === false && !overlay.querySelector(".countdown")) setOverlay();
        ctx.fillStyle = COLORS.me;
        ctx.font = "bold 120px system-ui, sans-serif";
        ctx.textAlign = "center";
        ctx.fillText(String(left), FIELD.width / 2, FIELD.height / 2 + 40);
      } else countdownEnd = null;
    }
    status(statusLine());
    if (pausedUntil !== null) {
      const left = Math.max(0, Math.ceil((pausedUntil - now) / 1000));
      const line = document.getElementById("pause-left");
      if (line) line.textContent = `Waiting up to ${left} s for them to come back…`;
    }
  }
  requestAnimationFrame(draw);

  const hint = h("p.muted.controls-hint", {}, "Move with ↑ ↓ or W S · on a touch screen, drag on the field");

  return {
    title: "Match",
    element: h("div.game-page", {}, header, h("div.field-wrap", {}, canvas, overlay, banner), hint,
      h("div.row.game-actions", {}, forfeit)),
    leave: () => {
      running = false;
      removeEventListener("keydown", keydown);
      removeEventListener("keyup", keyup);
      if (match.phase !== "ended") match.close();
    },
  };
}
