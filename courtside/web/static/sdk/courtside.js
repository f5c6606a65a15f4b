// Courtside JavaScript SDK: REST with rotating tokens, the live user channel,
// queues and invitations, and the game socket. An ES module with no
// dependencies; it runs in browsers and in Node 20+ (WebSocket there needs
// `--experimental-websocket`, or pass `WebSocket` in the options).
// Documented in docs/SDK.md; types in courtside.d.ts.

import * as msgpack from "./msgpack.js";

const MSGPACK_SUBPROTOCOL = "courtside.msgpack";
// Refresh this long before the access token expires, so no request meets a stale one.
const REFRESH_MARGIN_MS = 60_000;
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 15_000;
// The game socket takes at most 120 messages a second; one paddle update per
// 60 Hz tick is all the server reads anyway.
const MOVE_INTERVAL_MS = 1000 / 60;
// WebSocket close codes the game and user sockets use (DESIGN.md §6).
// 401 codes that mean the access token, not the request, was refused.
const TOKEN_REFUSALS = new Set(["token_not_valid", "not_authenticated", "authentication_failed"]);
const CLOSE = { NORMAL: 1000, GOING_AWAY: 1001, POLICY: 1008, TOO_BIG: 1009,
  NOT_AUTHENTICATED: 4401, FORBIDDEN: 4403, NOT_FOUND: 4404, REPLACED: 4409, RATE_LIMITED: 4429 };

/** The error envelope `{detail, code, errors?}` of a refused request, with its status. */
export class CourtsideError extends Error {
  constructor({ status, code, detail, errors = null }) {
    super(detail);
    this.name = "CourtsideError";
    this.status = status;
    this.code = code;
    this.detail = detail;
    this.errors = errors;
  }
}

/** Exponential backoff with jitter, reset once a connection holds. */
export function backoff(attempt, first = BACKOFF_FIRST_MS, max = BACKOFF_MAX_MS) {
  const ceiling = Math.min(max, first * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

class Emitter {
  constructor() { this._handlers = new Map(); }
  on(type, handler) {
    if (!this._handlers.has(type)) this._handlers.set(type, new Set());
    this._handlers.get(type).add(handler);
    return () => this.off(type, handler);
  }
  off(type, handler) { this._handlers.get(type)?.delete(handler); }
  emit(type, ...args) {
    for (const key of [type, "*"]) {
      for (const handler of [...(this._handlers.get(key) ?? [])]) {
        try {
          if (key === "*") handler(type, ...args); else handler(...args);
        } catch (error) {
          console.error(`courtside: a '${type}' handler failed`, error);
        }
      }
    }
  }
}

function memoryStorage() {
  const values = new Map();
  return { getItem: (k) => values.get(k) ?? null, setItem: (k, v) => values.set(k, String(v)),
    removeItem: (k) => values.delete(k) };
}

/** A JWT's claims, unverified: the server checks them, the client only schedules by them. */
function claimsOf(token) {
  try {
    return JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
  } catch {
    return {};
  }
}

const tokenExpiry = (token) => (claimsOf(token).exp ?? 0) * 1000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class Courtside extends Emitter {
  /**
   * @param {object} [options]
   * @param {string} [options.baseUrl] the server's HTTP origin; default: the page's origin
   * @param {Storage} [options.storage] where the session is kept; default localStorage, else memory
   */
  constructor({ baseUrl, storage, fetch: fetchImpl, WebSocket: WebSocketImpl } = {}) {
    super();
    this.baseUrl = (baseUrl ?? globalThis.location?.origin ?? "").replace(/\/$/, "");
    if (!this.baseUrl) throw new TypeError("Courtside: baseUrl is required outside a browser");
    this._fetch = fetchImpl ?? globalThis.fetch.bind(globalThis);
    this.WebSocket = WebSocketImpl ?? globalThis.WebSocket;
    this._storage = storage ?? safeLocalStorage() ?? memoryStorage();
    this._storageKey = `courtside:${this.baseUrl}`;
    this._tokens = this._loadTokens();
    this._refreshing = null;
    this._refreshTimer = null;
    this.auth = new Auth(this);
    this.live = new Live(this);
    this.play = new Play(this);
    this.game = new Games(this);
    this._scheduleRefresh();
  }

  /** The current access token, refreshed first if it is about to expire. */
  async accessToken() {
    if (!this._tokens) return null;
    if (tokenExpiry(this._tokens.access) - Date.now() < REFRESH_MARGIN_MS) {
      await this.refresh().catch(() => {});
    }
    return this._tokens?.access ?? null;
  }

  get isAuthenticated() { return this._tokens !== null; }

  /** The signed-in user's id, read from the access token (null when logged out). */
  get userId() {
    const sub = this._tokens && claimsOf(this._tokens.access).sub;
    return sub ? Number(sub) : null;
  }

  /**
   * `method path` with an optional JSON (or FormData) body; the parsed JSON answer,
   * null for 204. Throws CourtsideError for any refusal. A 401 triggers one refresh
   * and one retry.
   */
  async request(method, path, body) {
    const response = await this._send(method, path, body, true);
    if (response.status === 204) return null;
    const text = await response.text();
    return text ? JSON.parse(text) : null;
  }

  async _send(method, path, body, mayRefresh) {
    const headers = { Accept: "application/json" };
    let payload;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) { headers["Content-Type"] = "application/json"; payload = JSON.stringify(body); }
    const token = mayRefresh ? await this.accessToken() : this._tokens?.access;
    if (token) headers.Authorization = `Bearer ${token}`;
    let response;
    try {
      response = await this._fetch(this.url(path), { method, headers, body: payload, credentials: "omit" });
    } catch (error) {
      throw new CourtsideError({ status: 0, code: "network_error", detail: `Cannot reach the server: ${error.message}` });
    }
    if (response.ok) return response;
    const error = await errorOf(response);
    // Only a refused token is worth a rotation; a wrong password is just wrong.
    if (error.status === 401 && TOKEN_REFUSALS.has(error.code) && mayRefresh && this._tokens) {
      if (await this.refresh().then(() => true, () => false)) return this._send(method, path, body, false);
    }
    throw error;
  }

  url(path) { return path.startsWith("http") ? path : `${this.baseUrl}${path}`; }

  /** ws:// or wss:// on the HTTP origin. */
  wsUrl(path) { return this.url(path).replace(/^http/, "ws"); }

  /** Rotate the refresh token; one rotation at a time, shared by every caller. */
  refresh() {
    if (!this._tokens) return Promise.reject(new CourtsideError({ status: 401, code: "not_authenticated", detail: "Not logged in." }));
    this._refreshing ??= (async () => {
      try {
        const response = await this._fetch(this.url("/api/auth/refresh/"), {
          method: "POST", credentials: "omit",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify({ refresh: this._tokens.refresh }),
        });
        if (!response.ok) {
          const error = await errorOf(response);
          if (response.status === 401) this._setTokens(null); // revoked or reused: the session is over
          throw error;
        }
        this._setTokens(await response.json());
      } finally {
        this._refreshing = null;
      }
    })();
    return this._refreshing;
  }

  _setTokens(tokens) {
    const before = this._tokens;
    this._tokens = tokens ? { access: tokens.access, refresh: tokens.refresh } : null;
    if (this._tokens) this._storage.setItem(this._storageKey, JSON.stringify(this._tokens));
    else this._storage.removeItem(this._storageKey);
    this._scheduleRefresh();
    if (!this._tokens && before) { this.live.close(); this.live.lastEventId = null; this.emit("logout"); }
    else if (this._tokens) this.emit("tokens", this._tokens);
  }

  _loadTokens() {
    try {
      const saved = JSON.parse(this._storage.getItem(this._storageKey) ?? "null");
      return saved?.access && saved?.refresh ? saved : null;
    } catch {
      return null;
    }
  }

  _scheduleRefresh() {
    clearTimeout(this._refreshTimer);
    if (!this._tokens) return;
    const due = tokenExpiry(this._tokens.access) - Date.now() - REFRESH_MARGIN_MS;
    // setTimeout overflows past 2^31 ms; access tokens live 15 minutes anyway.
    this._refreshTimer = setTimeout(() => this.refresh().catch(() => {}), Math.min(Math.max(due, 0), 2 ** 31 - 1));
    this._refreshTimer.unref?.(); // never keeps a Node process alive
  }
}

function safeLocalStorage() {
  try { return globalThis.localStorage ?? null; } catch { return null; }
}

async function errorOf(response) {
  let body = null;
  try { body = await response.json(); } catch { /* not JSON: a proxy's page */ }
  return new CourtsideError({
    status: response.status,
    code: body?.code ?? `http_${response.status}`,
    detail: body?.detail ?? (response.statusText || `HTTP ${response.status}`),
    errors: body?.errors ?? null,
  });
}

class Auth {
  constructor(client) { this._client = client; }

  /** @returns the account, as GET /api/users/me/ shows it */
  async register({ username, password, email, nickname }) {
    return this._open("POST", "/api/auth/register/", { username, password, email, nickname });
  }
  async login({ username, password }) { return this._open("POST", "/api/auth/login/", { username, password }); }
  async guest() { return this._open("POST", "/api/auth/guest/"); }
  /** Turn the current guest into a registered account, keeping its history. */
  async upgrade({ username, password, email, nickname }) {
    return this._open("PUT", "/api/auth/register/guest/", { username, password, email, nickname });
  }
  async logout() {
    const tokens = this._client._tokens;
    if (!tokens) return;
    try {
      await this._client.request("POST", "/api/auth/logout/", { refresh: tokens.refresh });
    } finally {
      this._client._setTokens(null);
    }
  }
  me() { return this._client.request("GET", "/api/users/me/"); }

  async _open(method, path, body) {
    const clean = body && Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined && v !== ""));
    const tokens = await this._client.request(method, path, clean);
    this._client._setTokens(tokens);
    return this.me();
  }
}

/**
 * The user channel: `/ws/` (events plus chat requests) where `GET /api/live/` says
 * (the game port's, whose writes never wait; the HTTP origin's if that cannot be
 * asked), falling back to the SSE stream when WebSocket cannot connect. Reconnects with backoff and resumes after
 * the last event seen, so no event is lost or seen twice.
 */
class Live extends Emitter {
  constructor(client) {
    super();
    this._client = client;
    this.lastEventId = null;
    this.transport = null; // "ws" | "sse" once connected
    this.connected = false;
    this._wanted = false;
    this._attempt = 0;
    this._wsFailures = 0;
    this._socket = null;
    this._sseAbort = null;
    this._pendingSends = new Map();
    this._nextClientId = 1;
    this._connectedOnce = null;
    this._liveUrl = null;
  }

  /** Open the channel (idempotent); resolves once it is connected. */
  connect({ transport = "auto" } = {}) {
    this._preferred = transport;
    if (!this._wanted) {
      this._wanted = true;
      this._connectedOnce = new Promise((resolve) => { this._resolveConnected = resolve; });
      this._run();
    }
    return this._connectedOnce;
  }

  close() {
    this._wanted = false;
    this._socket?.close(CLOSE.NORMAL);
    this._sseAbort?.abort();
    this._setConnected(false);
    for (const { reject } of this._pendingSends.values()) reject(new CourtsideError({ status: 0, code: "closed", detail: "The live channel closed." }));
    this._pendingSends.clear();
  }

  /** Post a chat message over the socket; resolves with the stored message. */
  sendMessage(chatId, content) {
    const clientId = `${Date.now().toString(36)}-${this._nextClientId++}`;
    return new Promise((resolve, reject) => {
      const pending = { chatId, content, clientId, resolve, reject };
      this._pendingSends.set(clientId, pending);
      if (!this._sendRaw({ type: "send_message", chat_id: chatId, content, client_id: clientId })) this._sendOverRest(pending);
    });
  }

  /** Over SSE, or when the socket closed before the answer: the same client_id stores it once. */
  _sendOverRest({ chatId, content, clientId, resolve, reject }) {
    this._pendingSends.delete(clientId);
    this._client.request("POST", `/api/chat/${chatId}/messages/`, { content, client_id: clientId }).then(resolve, reject);
  }

  /** Tell the other members that we are typing (WebSocket only; dropped otherwise). */
  typing(chatId) { return this._sendRaw({ type: "typing", chat_id: chatId }); }

  /** Mark a chat read: over the socket if open, else over REST. */
  async markRead(chatId, seenMessages) {
    const body = seenMessages === undefined ? {} : { seen_messages: seenMessages };
    if (seenMessages !== undefined && this._sendRaw({ type: "messages_checked", chat_id: chatId, seen_messages: seenMessages })) return;
    await this._client.request("POST", `/api/chat/${chatId}/read/`, body);
  }

  _sendRaw(message) {
    if (this.transport !== "ws" || this._socket?.readyState !== 1) return false;
    this._socket.send(JSON.stringify(message));
    return true;
  }

  async _run() {
    while (this._wanted) {
      if (!this._client.isAuthenticated) { this._wanted = false; break; }
      const useWs = this._client.WebSocket && this._preferred !== "sse" && (this._preferred === "ws" || this._wsFailures < 2);
      const held = useWs ? await this._runSocket() : await this._runStream();
      if (!this._wanted) break;
      this._attempt = held ? 0 : this._attempt + 1;
      const delay = backoff(this._attempt);
      this.emit("reconnecting", { attempt: this._attempt, delay });
      await sleep(delay);
    }
  }

  /** One WebSocket session; true if it connected. */
  async _runSocket() {
    const token = await this._client.accessToken();
    if (!token) { this._wanted = false; return false; }
    const query = this.lastEventId !== null ? `?last_event_id=${this.lastEventId}` : "";
    const url = `${await this._socketUrl()}${query}`;
    let opened = false;
    const closed = await new Promise((resolve) => {
      let socket;
      try {
        socket = new this._client.WebSocket(url);
      } catch {
        resolve({ code: 0 });
        return;
      }
      this._socket = socket;
      socket.onopen = () => {
        opened = true;
        socket.send(JSON.stringify({ type: "authenticate", token }));
        // The server answers requests only once the socket is subscribed: connected
        // means the pong, or an event published just after connect() would be missed.
        socket.send(JSON.stringify({ type: "ping" }));
        this.transport = "ws";
        this._wsFailures = 0;
      };
      socket.onmessage = (message) => this._onSocketMessage(JSON.parse(message.data));
      socket.onclose = (event) => resolve({ code: event.code, reason: event.reason });
      // Some runtimes (Node 20) report a refused connection with an error and no close.
      socket.onerror = () => { if (!opened) resolve({ code: 1006, reason: "connection failed" }); };
    });
    this._socket = null;
    this._setConnected(false);
    for (const pending of [...this._pendingSends.values()]) this._sendOverRest(pending);
    if (!opened) this._wsFailures += 1;
    if (closed.code === CLOSE.NOT_AUTHENTICATED) await this._client.refresh().catch(() => {});
    if (closed.code === CLOSE.NORMAL && closed.reason === "account deleted") this._wanted = false;
    return opened;
  }

  /** Where `/ws/` is served best, asked once; the HTTP origin's while it cannot be asked. */
  async _socketUrl() {
    if (!this._liveUrl) {
      const found = await this._client.request("GET", "/api/live/").then((live) => live.ws_url, () => null);
      if (!found) return this._client.wsUrl("/ws/");
      this._liveUrl = found;
    }
    return this._liveUrl;
  }

  _onSocketMessage(message) {
    if (message.type === "pong") this._setConnected(true);
    if (message.id !== undefined && message.data !== undefined) {
      this._deliver(message.id, message.type, { ...message.data, ...message.kwargs });
      return;
    }
    if (message.type === "message_sent" || message.type === "message_refused") {
      const pending = this._pendingSends.get(message.client_id);
      this._pendingSends.delete(message.client_id);
      if (message.type === "message_sent") pending?.resolve(message.message);
      else pending?.reject(new CourtsideError({ status: 400, code: message.code, detail: message.detail }));
    }
    this.emit(message.type, message);
  }

  /** One SSE session over fetch (so it can carry the Bearer token and Last-Event-ID). */
  async _runStream() {
    const token = await this._client.accessToken();
    if (!token) { this._wanted = false; return false; }
    const abort = new AbortController();
    this._sseAbort = abort;
    const headers = { Accept: "text/event-stream", Authorization: `Bearer ${token}` };
    if (this.lastEventId !== null) headers["Last-Event-ID"] = String(this.lastEventId);
    let opened = false;
    try {
      const response = await this._client._fetch(this._client.url("/sse/users/"), { headers, signal: abort.signal, credentials: "omit" });
      if (response.status === 401) { await this._client.refresh().catch(() => {}); return false; }
      if (!response.ok) return false;
      opened = true;
      this.transport = "sse";
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, "\n");
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          this._onSseFrame(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          // The first frame (the retry hint) is sent once the stream is subscribed.
          this._setConnected(true);
        }
      }
    } catch {
      // aborted by close(), or the stream broke: the loop reconnects
    } finally {
      this._sseAbort = null;
      this._setConnected(false);
    }
    return opened;
  }

  _onSseFrame(frame) {
    let id = null, type = "message", data = "";
    for (const line of frame.split("\n")) {
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "id") id = Number(value);
      else if (field === "event") type = value;
      else if (field === "data") data += (data ? "\n" : "") + value;
    }
    if (id !== null && data) this._deliver(id, type, JSON.parse(data));
  }

  _deliver(id, type, payload) {
    if (this.lastEventId !== null && id <= this.lastEventId) return; // replayed twice
    this.lastEventId = id;
    this.emit(type, payload, { id, type });
    if (type === "user-delete") this.close();
  }

  _setConnected(connected) {
    if (this.connected === connected) return;
    this.connected = connected;
    if (connected) { this._resolveConnected?.(); this.emit("open", { transport: this.transport }); }
    else this.emit("close", {});
  }
}

class Play {
  constructor(client) { this._client = client; }
  /** Join the `duel` or `ranked` queue; the match comes as a `game-start` event. */
  queue(mode) { return this._client.request("POST", `/api/play/${mode}/`); }
  leave(mode) { return this._client.request("DELETE", `/api/play/${mode}/`); }
  /** Invite a user to play, in your dialogue; `matchType`: "1v1" | "3v3" | "clash". */
  invite(userId, matchType = "1v1") { return this._client.request("POST", "/api/play/invites/", { user_id: userId, match_type: matchType }); }
  accept(inviteId) { return this._client.request("POST", `/api/play/invites/${inviteId}/accept/`); }
  decline(inviteId) { return this._client.request("POST", `/api/play/invites/${inviteId}/decline/`); }
  cancel(inviteId) { return this._client.request("DELETE", `/api/play/invites/${inviteId}/`); }
  rematch(code) { return this._client.request("POST", `/api/game/matches/${code}/rematch/`); }
  live() { return this._client.request("GET", "/api/game/live/"); }
}

class Games {
  constructor(client) { this._client = client; }
  /** Open a match's game socket (the `ws_url` of `game-start` or a match record). */
  open(wsUrl, { format = "json" } = {}) { return new Match(this._client, wsUrl, format); }
}

/**
 * One match seen from this client. Emits `welcome`, `starts`, `state`, `paused`,
 * `resumed`, `ended`, `error`, `pong`, `reconnecting`, `open` and `close`. A socket
 * lost before the end reconnects on its own within the match's grace window.
 */
export class Match extends Emitter {
  constructor(client, wsUrl, format) {
    super();
    if (format !== "json" && format !== "msgpack") throw new TypeError(`format must be json or msgpack, not ${format}`);
    this._client = client;
    this.wsUrl = wsUrl;
    this.format = format;
    this.welcome = null;
    this.state = null;
    this.result = null;
    this.phase = "connecting"; // connecting | waiting | countdown | playing | paused | ended
    this._ready = false;
    this._left = false;
    this._socket = null;
    this._lastMove = 0;
    this._moveTimer = null;
    this._nextMove = null;
    this._graceUntil = null;
    this._target = null;
    this._lastWord = false; // the chase's one repeat of a target it is within half a pixel of
    this._slot = null;
    this._whenWelcomed = new Promise((resolve) => { this._resolveWelcome = resolve; });
    this._connect(0);
  }

  /** Resolves with the welcome (role, side, players, config). */
  welcomed() { return this._whenWelcomed; }

  /** Tell the server this player is ready; remembered across reconnections. */
  ready() { this._ready = true; this._send({ type: "report_ready" }); }

  /**
   * Ask for the paddle's top at `y`. The server moves a paddle at most its speed per
   * update it reads, so the request is repeated, one per tick, until the server's
   * state shows the paddle there.
   */
  move(y) {
    this._target = y;
    this._lastWord = false;
    this._nextMove = y;
    const wait = this._lastMove + MOVE_INTERVAL_MS - performanceNow();
    if (wait <= 0) this._flushMove();
    else this._moveTimer ??= setTimeout(() => this._flushMove(), wait);
  }

  ping() { this._send({ type: "ping", t: performanceNow() }); }

  /** Forfeit and close. */
  leave() {
    this._left = true;
    this._send({ type: "report_left" });
    this._socket?.close(CLOSE.NORMAL);
  }

  /** Close without forfeiting (the grace window runs; another open() resumes). */
  close() { this._left = true; this._socket?.close(CLOSE.NORMAL); }

  /** This player's paddle top in `state`, null for a spectator. */
  paddleY(state = this.state) {
    if (!state || this._slot === null) return null;
    if (state.paddles) return state.paddles[this._slot].y;
    return this.welcome.side === "a" ? state.initiator_paddle_y : state.invited_paddle_y;
  }

  _chaseTarget(state) {
    if (this._target === null) return;
    const y = this.paddleY(state);
    const off = y === null ? 0 : Math.abs(y - this._target);
    // Within half a pixel but not on it, the request that would land it may have been
    // lost: it is sent once more before the chase ends.
    if (off === 0 || (off < 0.5 && this._lastWord)) this._target = null;
    else if (this._nextMove === null) {
      const target = this._target;
      this.move(target);
      this._lastWord = off < 0.5;
    }
  }

  _flushMove() {
    this._moveTimer = null;
    if (this._nextMove === null) return;
    this._lastMove = performanceNow();
    this._send({ type: "paddle_position_update", position: this._nextMove });
    this._nextMove = null;
  }

  _send(message) {
    if (this._socket?.readyState !== 1) return false;
    this._socket.send(this.format === "msgpack" ? msgpack.encode(message) : JSON.stringify(message));
    return true;
  }

  async _connect(attempt) {
    const token = await this._client.accessToken();
    const protocols = this.format === "msgpack" ? [MSGPACK_SUBPROTOCOL] : [];
    let socket;
    try {
      socket = new this._client.WebSocket(this.wsUrl, protocols);
    } catch (error) {
      this._lost({ code: 0, reason: String(error) }, attempt, false);
      return;
    }
    socket.binaryType = "arraybuffer";
    this._socket = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      if (token) socket.send(this.format === "msgpack" ? msgpack.encode({ type: "authenticate", token }) : JSON.stringify({ type: "authenticate", token }));
      this.emit("open", { reconnected: attempt > 0 || this.welcome !== null });
    };
    socket.onmessage = (event) => {
      const message = typeof event.data === "string" ? JSON.parse(event.data) : msgpack.decode(event.data);
      this._onMessage(message);
    };
    let lost = false;
    const onLost = (code, reason) => {
      if (lost) return;
      lost = true;
      if (this._socket === socket) this._socket = null;
      this._lost({ code, reason }, opened ? 0 : attempt, opened);
    };
    socket.onclose = (event) => onLost(event.code, event.reason);
    // Some runtimes (Node 20) report a refused connection with an error and no close.
    socket.onerror = () => { if (!opened) onLost(1006, "connection failed"); };
  }

  _lost(close, attempt, wasOpen) {
    this.emit("close", close);
    const final = [CLOSE.FORBIDDEN, CLOSE.NOT_FOUND, CLOSE.REPLACED, CLOSE.POLICY, CLOSE.TOO_BIG, CLOSE.RATE_LIMITED];
    if (this._left || this.phase === "ended" || final.includes(close.code)) return;
    if (close.code === CLOSE.NORMAL && wasOpen && this.welcome === null) return;
    const grace = (this.welcome?.config.grace_seconds ?? 10) * 1000;
    this._graceUntil ??= Date.now() + grace;
    if (Date.now() >= this._graceUntil) { this.emit("error", { code: "reconnect_failed", detail: "Could not reconnect within the grace window." }); return; }
    const delay = Math.min(backoff(attempt, 250, 2000), this._graceUntil - Date.now());
    this.emit("reconnecting", { attempt: attempt + 1, delay });
    if (close.code === CLOSE.NOT_AUTHENTICATED) this._client.refresh().catch(() => {});
    setTimeout(() => this._connect(attempt + 1), delay);
  }

  _onMessage(message) {
    switch (message.type) {
      case "welcome": {
        const again = this.welcome !== null;
        this.welcome = message;
        this._graceUntil = null;
        this._slot = message.players.find((seat) => seat.user_id === this._client.userId)?.slot ?? null;
        if (this.phase === "connecting") this.phase = "waiting";
        if (this._ready && message.role === "player") this._send({ type: "report_ready" });
        this._resolveWelcome(message);
        this.emit("welcome", message, { reconnected: again });
        break;
      }
      case "game_starts":
        this.phase = "countdown";
        this.emit("starts", message);
        break;
      case "game_state_update":
        if (this.phase !== "paused") this.phase = "playing";
        this.state = message.state;
        this._chaseTarget(message.state);
        this.emit("state", message.state);
        break;
      case "opponent_disconnected":
        this.phase = "paused";
        this.emit("paused", message);
        break;
      case "opponent_reconnected":
        this.phase = "playing";
        this.emit("resumed", message);
        break;
      case "game_ended":
        this.phase = "ended";
        this.result = message;
        this.emit("ended", message);
        break;
      default:
        this.emit(message.type, message);
    }
  }
}

function performanceNow() { return globalThis.performance?.now() ?? Date.now(); }
