// Type declarations of the Courtside JavaScript SDK (courtside.js). See docs/SDK.md.

export type Handler<T = any> = (payload: T, meta?: any) => void;
export type Unsubscribe = () => void;

declare class Emitter<Events extends Record<string, any> = Record<string, any>> {
  on<K extends keyof Events & string>(type: K, handler: Handler<Events[K]>): Unsubscribe;
  on(type: string, handler: Handler): Unsubscribe;
  /** `"*"` receives every event as `(type, payload, meta)`. */
  on(type: "*", handler: (type: string, payload: any, meta?: any) => void): Unsubscribe;
  off(type: string, handler: Function): void;
}

/** The server's error envelope with the HTTP status (0 when the server cannot be reached). */
export class CourtsideError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly errors: Record<string, string[]> | null;
  constructor(init: { status: number; code: string; detail: string; errors?: Record<string, string[]> | null });
}

/** Milliseconds to wait before reconnection attempt `attempt` (0-based): exponential, jittered. */
export function backoff(attempt: number, firstMs?: number, maxMs?: number): number;

export interface CourtsideOptions {
  /** The server's HTTP origin, e.g. "http://127.0.0.1:8000". Default: the page's origin. */
  baseUrl?: string;
  /** Where the session's tokens are kept. Default: localStorage where there is one, else memory. */
  storage?: Pick<Storage, "getItem" | "setItem" | "removeItem">;
  fetch?: typeof fetch;
  WebSocket?: typeof WebSocket;
}

export interface Tokens { access: string; refresh: string; }

export interface Me {
  id: number;
  username: string;
  nickname: string;
  email: string | null;
  /** Up to 280 characters, as stored (trimmed); "" when none. */
  bio: string;
  is_guest: boolean;
  trophies: number;
  profile_picture: Record<string, string>;
  [key: string]: unknown;
}

export class Courtside extends Emitter<{ tokens: Tokens; logout: void }> {
  constructor(options?: CourtsideOptions);
  readonly baseUrl: string;
  readonly isAuthenticated: boolean;
  /** The signed-in user's id (from the access token), null when logged out. */
  readonly userId: number | null;
  readonly auth: Auth;
  readonly live: Live;
  readonly play: Play;
  readonly game: Games;
  /** The parsed JSON answer (null for 204); throws CourtsideError. A 401 refreshes once and retries. */
  request<T = any>(method: string, path: string, body?: unknown | FormData): Promise<T>;
  /** The access token, rotated first when it is about to expire; null when logged out. */
  accessToken(): Promise<string | null>;
  /** Rotate the refresh token now (done on its own before expiry and on a 401). */
  refresh(): Promise<void>;
  url(path: string): string;
  wsUrl(path: string): string;
}

export interface Registration { username: string; password: string; email?: string; nickname?: string; }

export interface Auth {
  register(data: Registration): Promise<Me>;
  login(data: { username: string; password: string }): Promise<Me>;
  guest(): Promise<Me>;
  /** Turn the current guest into a registered account, keeping its history. */
  upgrade(data: Registration): Promise<Me>;
  logout(): Promise<void>;
  me(): Promise<Me>;
}

/** The user channel's events (DESIGN.md §6); the payload is the event's data with its kwargs merged. */
export interface LiveEvents {
  open: { transport: "ws" | "sse" };
  close: {};
  reconnecting: { attempt: number; delay: number };
  "receive-message": Message;
  "update-message": Message;
  "delete-message": { chat_id: number; id: number };
  unread_messages: { chat_id: number; amount_unseen: number; amount_total: number };
  typing: { chat_id: number; user_id: number };
  presence: { user_id: number; is_online: boolean; game_playing: string | null };
  "game-start": GameStart;
  /** The queue restarted (a crash, its node's shutdown) and forgot the player: queue again. */
  "queue-left": { game_mode: "duel" | "ranked" };
  "invite-1v1": Invite;
  "invite-3v3": Invite;
  "invite-clash": Invite;
  "receive-friend-request": any;
  "accept-friend-request": any;
  "reject-friend-request": any;
  "cancel-friend-request": any;
  "delete-friend": any;
  "user-delete": any;
  [type: string]: any;
}

export interface Message {
  id: number;
  chat_id: number;
  author: { id: number; username: string; nickname: string; is_guest: boolean; profile_picture: Record<string, string> } | null;
  content: string;
  is_deleted: boolean;
  sent_at: string;
  is_read: boolean;
  type: "message" | "invite" | "system";
  payload: Record<string, any> | null;
  actions: { accept_link?: string; decline_link?: string; cancel_link?: string };
}

export interface GameStart {
  code: string;
  game_mode: string;
  ws_url: string;
  opponent_id: number;
  team_a: number[];
  team_b: number[];
}

export interface Invite {
  id: number;
  code: string | null;
  chat_id: number;
  match_type: "1v1" | "3v3" | "clash";
  expires_at: string;
  username: string;
}

export interface Live extends Emitter<LiveEvents> {
  /** The transport in use once connected. */
  readonly transport: "ws" | "sse" | null;
  readonly connected: boolean;
  /** The id of the last event delivered; reconnections resume after it. */
  readonly lastEventId: number | null;
  /** Open the channel ("auto": WebSocket, SSE when WebSocket fails twice). Resolves once connected. */
  connect(options?: { transport?: "auto" | "ws" | "sse" }): Promise<void>;
  close(): void;
  /** Post a chat message (over the socket, else REST); resolves with the stored message. */
  sendMessage(chatId: number, content: string): Promise<Message>;
  /** Tell the chat's other members you are typing; false if the socket is not open. */
  typing(chatId: number): boolean;
  /** Mark a chat read (all of it, or its first `seenMessages`). */
  markRead(chatId: number, seenMessages?: number): Promise<void>;
}

export interface Play {
  queue(mode: "duel" | "ranked"): Promise<{ [key: string]: any }>;
  leave(mode: "duel" | "ranked"): Promise<null>;
  invite(userId: number, matchType?: "1v1" | "3v3" | "clash"): Promise<any>;
  accept(inviteId: number): Promise<any>;
  decline(inviteId: number): Promise<any>;
  cancel(inviteId: number): Promise<null>;
  rematch(code: string): Promise<any>;
  live(): Promise<any>;
}

export interface Games {
  open(wsUrl: string, options?: { format?: "json" | "msgpack" }): Match;
}

export interface Seat { user_id: number; team: "a" | "b"; slot: number; }

export interface Welcome {
  type: "welcome";
  role: "player" | "spectator";
  side: "a" | "b" | null;
  players: Seat[];
  config: { mode: string; score_to_win: number; tick_rate: number; broadcast_rate: number; grace_seconds: number };
}

export interface MatchState {
  initiator_id: number;
  invited_id: number;
  initiator_score: number;
  invited_score: number;
  initiator_paddle_y: number;
  invited_paddle_y: number;
  ball_position_x: number;
  ball_position_y: number;
  ball_direction_x: number;
  ball_direction_y: number;
  tournament: boolean;
  tick: number;
  paddles?: { user_id: number; team: "a" | "b"; y: number }[];
  minutes_left?: number;
  seconds_left?: number;
}

export interface GameEnded {
  type: "game_ended";
  initiator_score: number;
  invited_score: number;
  winner_id: number | null;
  reason: "score" | "forfeit" | "disconnect" | "timeout" | "aborted";
  initiator_id: number;
  invited_id: number;
}

export interface MatchEvents {
  welcome: Welcome;
  starts: { type: "game_starts"; start_tick: number };
  state: MatchState;
  paused: { type: "opponent_disconnected"; grace_seconds: number };
  resumed: { type: "opponent_reconnected" };
  ended: GameEnded;
  error: { code: string; detail: string };
  pong: { type: "pong"; t: number | null };
  open: { reconnected: boolean };
  close: { code: number; reason: string };
  reconnecting: { attempt: number; delay: number };
}

export class Match extends Emitter<MatchEvents> {
  readonly wsUrl: string;
  readonly format: "json" | "msgpack";
  readonly welcome: Welcome | null;
  readonly state: MatchState | null;
  readonly result: GameEnded | null;
  readonly phase: "connecting" | "waiting" | "countdown" | "playing" | "paused" | "ended";
  welcomed(): Promise<Welcome>;
  /** Report ready; sent again after a reconnection. */
  ready(): void;
  /**
   * Ask for the paddle's top edge at `y` (px). The server moves a paddle at most its speed
   * per update, so the SDK repeats the request once per tick until the paddle is there.
   */
  move(y: number): void;
  /** This player's paddle top in `state` (default: the latest), null for a spectator. */
  paddleY(state?: MatchState): number | null;
  ping(): void;
  /** Forfeit the match and close. */
  leave(): void;
  /** Close without forfeiting: the grace window runs. */
  close(): void;
}
