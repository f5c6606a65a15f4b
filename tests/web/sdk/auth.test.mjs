// Accounts and tokens: the envelope as CourtsideError, rotation before expiry and on a 401.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CourtsideError } from "../../../courtside/web/static/sdk/courtside.js";
import { BASE_URL, PASSWORD, client, memoryStorage, person, sign, claimsOf } from "./helpers.mjs";

test("register logs in and request returns the parsed JSON", async () => {
  const alice = await person("alice");
  assert.equal(alice.isAuthenticated, true);
  const me = await alice.request("GET", "/api/users/me/");
  assert.equal(me.username, alice.username);
  assert.equal(me.id, alice.me.id);
});

test("a refusal throws CourtsideError with the envelope's status, code, detail and errors", async () => {
  const courtside = client();
  await assert.rejects(courtside.auth.register({ username: "x", password: "short" }), (error) => {
    assert.ok(error instanceof CourtsideError);
    assert.equal(error.status, 400);
    assert.equal(error.code, "invalid");
    assert.ok(error.errors.username.length > 0);
    assert.ok(error.errors.password.length > 0);
    return true;
  });
  const alice = await person("alice");
  await assert.rejects(client().auth.login({ username: alice.username, password: "wrong-password-1" }),
    { status: 401, code: "incorrect_password" });
  await assert.rejects(alice.request("GET", "/api/users/999999999/"), { status: 404, code: "not_found" });
  assert.equal(client().isAuthenticated, false);
});

test("refresh rotates both tokens, and the retired refresh token no longer works", async () => {
  const alice = await person("alice");
  const before = { ...alice._tokens };
  await alice.refresh();
  assert.notEqual(alice._tokens.refresh, before.refresh);
  assert.notEqual(alice._tokens.access, before.access);
  const replay = await fetch(`${BASE_URL}/api/auth/refresh/`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ refresh: before.refresh }),
  });
  assert.equal(replay.status, 401);
});

test("a 401 refreshes once and retries the request", async () => {
  const alice = await person("alice");
  const storage = memoryStorage();
  const key = `courtside:${BASE_URL}`;
  storage.setItem(key, JSON.stringify({ access: "not-a-token", refresh: alice._tokens.refresh }));
  const revived = client(storage);
  const me = await revived.request("GET", "/api/users/me/");
  assert.equal(me.id, alice.me.id);
  const saved = JSON.parse(storage.getItem(key));
  assert.notEqual(saved.access, "not-a-token");
  assert.notEqual(saved.refresh, alice._tokens.refresh);
});

test("an access token about to expire is rotated before it is used", async () => {
  const alice = await person("alice");
  const real = claimsOf(alice._tokens.access);
  const now = Math.floor(Date.now() / 1000);
  const expiring = sign({ ...real, iat: now, exp: now + 20 }); // within the SDK's margin
  const storage = memoryStorage({ [`courtside:${BASE_URL}`]: JSON.stringify({ access: expiring, refresh: alice._tokens.refresh }) });
  const revived = client(storage);
  const token = await revived.accessToken();
  assert.notEqual(token, expiring);
  assert.ok(claimsOf(token).exp > now + 600);
});

test("a guest plays at once and upgrades to a registered account, keeping its id", async () => {
  const courtside = client();
  const guest = await courtside.auth.guest();
  assert.equal(guest.is_guest, true);
  const registered = await courtside.auth.upgrade({ username: `kept${process.pid % 10000}`, password: PASSWORD });
  assert.equal(registered.is_guest, false);
  assert.equal(registered.id, guest.id);
});

test("logout ends the session on the server and in the client", async () => {
  const alice = await person("alice");
  const { refresh } = alice._tokens;
  let loggedOut = false;
  alice.on("logout", () => { loggedOut = true; });
  await alice.auth.logout();
  assert.equal(alice.isAuthenticated, false);
  assert.equal(loggedOut, true);
  await assert.rejects(alice.request("GET", "/api/users/me/"), { status: 401, code: "not_authenticated" });
  const again = await fetch(`${BASE_URL}/api/auth/refresh/`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ refresh }),
  });
  assert.equal(again.status, 401);
});
