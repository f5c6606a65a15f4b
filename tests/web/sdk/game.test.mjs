// Queues and the game socket: a whole match seen through the SDK, in both wire formats.
import { test } from "node:test";
import assert from "node:assert/strict";
import { person, next } from "./helpers.mjs";

test("queue and leave a queue; leaving twice is a 404", async () => {
  const alice = await person("alice");
  await alice.play.queue("duel");
  assert.equal(await alice.play.leave("duel"), null);
  await assert.rejects(alice.play.leave("duel"), { status: 404 });
  await assert.rejects(alice.play.queue("nonsense"), { status: 404 });
});

test("two players meet in the duel queue and play: json and msgpack, a reconnection, a forfeit", async (t) => {
  const alice = await person("alice");
  const bob = await person("bob");
  t.after(() => { alice.live.close(); bob.live.close(); });
  await Promise.all([alice.live.connect(), bob.live.connect()]);
  const starts = [next(alice.live, "game-start"), next(bob.live, "game-start")];
  await alice.play.queue("duel");
  await bob.play.queue("duel");
  const [forAlice, forBob] = await Promise.all(starts);
  assert.equal(forAlice.code, forBob.code);
  assert.match(forAlice.ws_url, /^ws:\/\/.+\/ws\/game\/[\w-]+\/$/);

  const aliceMatch = alice.game.open(forAlice.ws_url, { format: "json" });
  const bobMatch = bob.game.open(forBob.ws_url, { format: "msgpack" });
  t.after(() => { aliceMatch.close(); bobMatch.close(); });
  const [aliceWelcome, bobWelcome] = await Promise.all([aliceMatch.welcomed(), bobMatch.welcomed()]);
  assert.equal(aliceWelcome.role, "player");
  assert.equal(bobWelcome.role, "player");
  assert.notEqual(aliceWelcome.side, bobWelcome.side);
  assert.equal(bobWelcome.config.score_to_win, 5);

  const counting = [next(aliceMatch, "starts"), next(bobMatch, "starts")];
  aliceMatch.ready();
  bobMatch.ready();
  await Promise.all(counting);
  const state = await next(bobMatch, "state", () => true, 15_000);
  assert.equal(typeof state.ball_position_x, "number");
  assert.ok(state.tick > 0);

  // Bob's paddle goes where he asks (the server moves it at its own speed).
  const bobIsA = bobWelcome.side === "a";
  bobMatch.move(0);
  await next(aliceMatch, "state", (s) => (bobIsA ? s.initiator_paddle_y : s.invited_paddle_y) === 0, 10_000);

  // Bob's connection drops: Alice's match pauses, Bob's SDK comes back on its own.
  const paused = next(aliceMatch, "paused");
  const resumed = next(aliceMatch, "resumed");
  const backIn = next(bobMatch, "welcome", (_, meta) => meta.reconnected);
  bobMatch._socket.close();
  assert.ok((await paused).grace_seconds > 0);
  await backIn;
  await resumed;

  const ended = next(bobMatch, "ended");
  aliceMatch.leave();
  const result = await ended;
  assert.equal(result.reason, "forfeit");
  assert.equal(result.winner_id, bob.me.id);
  assert.equal(bobMatch.phase, "ended");
  // game_ended comes first; the record, and so the history, a moment after.
  let history = await bob.request("GET", `/api/users/${bob.me.id}/matches/`);
  for (let tries = 0; history.results.length === 0 && tries < 100; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    history = await bob.request("GET", `/api/users/${bob.me.id}/matches/`);
  }
  assert.equal(history.results[0].code, forBob.code);
});
