// Shared by the SDK's tests: a client per person against the server pytest started.
import { createHmac, randomUUID } from "node:crypto";
import { Courtside } from "../../../courtside/web/static/sdk/courtside.js";

export const BASE_URL = process.env.COURTSIDE_URL;
if (!BASE_URL) throw new Error("COURTSIDE_URL is not set: run these through pytest (tests/web/test_sdk.py)");
export const PASSWORD = "correct-horse-42";
let counter = 0;

export function memoryStorage(initial = {}) {
  const values = new Map(Object.entries(initial));
  return { getItem: (k) => values.get(k) ?? null, setItem: (k, v) => values.set(k, String(v)), removeItem: (k) => values.delete(k), values };
}

export function client(storage = memoryStorage()) {
  return new Courtside({ baseUrl: BASE_URL, storage });
}

/** A fresh registered user's client; `name` is made unique. */
export async function person(name) {
  const courtside = client();
  const username = `${name}${process.pid % 1000}${counter++}`;
  const me = await courtside.auth.register({ username, password: PASSWORD });
  return Object.assign(courtside, { me, username });
}

/** The next `type` event of `emitter` that passes `accept`, within `ms`. */
export function next(emitter, type, accept = () => true, ms = 10_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { off(); reject(new Error(`no '${type}' within ${ms} ms`)); }, ms);
    const off = emitter.on(type, (payload, meta) => {
      if (!accept(payload, meta)) return;
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

/** An HS256 token signed with the test server's key: to craft one that expires soon. */
export function sign(claims) {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const body = `${encode({ alg: "HS256", typ: "JWT" })}.${encode({ jti: randomUUID(), ...claims })}`;
  const signature = createHmac("sha256", process.env.COURTSIDE_TEST_SECRET).update(body).digest("base64url");
  return `${body}.${signature}`;
}

export function claimsOf(token) {
  return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());
}
