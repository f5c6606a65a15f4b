// The user channel: events over /ws/ or SSE, and none lost or doubled across a reconnection.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Courtside } from "../../../courtside/web/static/sdk/courtside.js";
import { BASE_URL, PASSWORD, memoryStorage, person, next } from "./helpers.mjs";

async function dialogue(from, to) {
  return from.request("POST", "/api/chat/", { username: to.username });
}

for (const transport of ["ws", "sse"]) {
  test(`${transport}: events arrive live, with their payload`, async (t) => {
    const alice = await person("alice");
    const bob = await person("bob");
    t.after(() => alice.live.close());
    await alice.live.connect({ transport });
    assert.equal(alice.live.transport, transport);
    const request = next(alice.live, "receive-friend-request");
    await bob.request("POST", "/api/users/me/friend_requests/", { username: alice.username });
    const received = await request;
    assert.equal(received.sender.id, bob.me.id);
  });

  test(`${transport}: a dropped connection resumes after the last event, losing and doubling none`, async (t) => {
    const alice = await person("alice");
    const bob = await person("bob");
    t.after(() => alice.live.close());
    const chat = await dialogue(bob, alice);
    const seen = [];
    alice.live.on("receive-message", (message, meta) => seen.push({ id: meta.id, content: message.content }));
    await alice.live.connect({ transport });
    const first = next(alice.live, "receive-message");
    await bob.request("POST", `/api/chat/${chat.id}/messages/`, { content: "one" });
    await first;

    // Cut the connection the way a network does, then talk while it is down.
    const reopened = next(alice.live, "open");
    if (transport === "ws") alice.live._socket.close(4000, "test drops it");
    else alice.live._sseAbort.abort();
    for (const content of ["two", "three", "four"]) {
      await bob.request("POST", `/api/chat/${chat.id}/messages/`, { content });
    }
    await reopened;
    const last = next(alice.live, "receive-message", (message) => message.content === "five");
    await bob.request("POST", `/api/chat/${chat.id}/messages/`, { content: "five" });
    await last;
    assert.deepEqual(seen.map((m) => m.content), ["one", "two", "three", "four", "five"]);
    const ids = seen.map((m) => m.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
    assert.equal(new Set(ids).size, ids.length);
  });
}

test("ws: chat over the socket: a sent message is stored, typing and unread counts reach the others", async (t) => {
  const alice = await person("alice");
  const bob = await person("bob");
  t.after(() => { alice.live.close(); bob.live.close(); });
  const chat = await dialogue(alice, bob);
  await Promise.all([alice.live.connect(), bob.live.connect()]);

  const unread = next(bob.live, "unread_messages", (u) => u.chat_id === chat.id && u.amount_unseen === 1);
  const stored = await alice.live.sendMessage(chat.id, "  hello bob  ");
  assert.equal(stored.content, "hello bob");
  assert.ok(stored.id > 0);
  await unread;
  const listed = await bob.request("GET", `/api/chat/${chat.id}/messages/`);
  assert.equal(listed.results[0].id, stored.id);

  const typing = next(bob.live, "typing", (event) => event.chat_id === chat.id);
  assert.equal(alice.live.typing(chat.id), true);
  assert.equal((await typing).user_id, alice.me.id);

  const cleared = next(bob.live, "unread_messages", (u) => u.chat_id === chat.id && u.amount_unseen === 0);
  await bob.live.markRead(chat.id, 1);
  await cleared;

  await assert.rejects(alice.live.sendMessage(chat.id, "   "), { code: "invalid" });
});

test("auto: where WebSocket cannot connect, the channel falls back to SSE", async (t) => {
  // A network that refuses WebSocket: every socket goes to a port nobody listens on.
  class Refused extends WebSocket { constructor() { super("ws://127.0.0.1:9/"); } }
  const alice = new Courtside({ baseUrl: BASE_URL, storage: memoryStorage(), WebSocket: Refused });
  const bob = await person("bob");
  const me = await alice.auth.register({ username: `fallback${process.pid % 1000}`, password: PASSWORD });
  t.after(() => alice.live.close());
  await alice.live.connect();
  assert.equal(alice.live.transport, "sse");
  const request = next(alice.live, "receive-friend-request");
  await bob.request("POST", "/api/users/me/friend_requests/", { username: me.username });
  assert.equal((await request).sender.id, bob.me.id);
});
