// The Courtside web client: one page, hash routes, every call through the SDK.
import { Courtside } from "/sdk/courtside.js";
import { h, replace, avatar } from "./dom.js";
import { toast, toastError } from "./toasts.js";
import { authView } from "./auth.js";
import { playView, watchView } from "./play.js";
import { friendsView } from "./social.js";
import { chatView } from "./chat.js";
import { gameView } from "./game.js";
import { profileView, meView } from "./profile.js";
import { lobbyView } from "./lobby.js";
import { tournamentsView, tournamentView } from "./tournaments.js";
import { leaderboardView } from "./leaderboard.js";

const client = new Courtside();

/** What every view shares: the client, the account, unread counts, navigation. */
export const app = {
  client,
  me: null,
  unread: new Map(), // chat id -> unseen messages
  openChatId: null, // the chat on screen, whose messages are read as they come
  go(hash) { if (location.hash !== hash) location.hash = hash; else route(); },
  async refreshMe() { app.me = await client.auth.me(); renderNav(); return app.me; },
  setUnread(chatId, count) {
    if (count > 0) app.unread.set(chatId, count); else app.unread.delete(chatId);
    renderBadges();
    dispatchEvent(new CustomEvent("courtside:unread", { detail: { chatId, count } }));
  },
};
globalThis.courtsideApp = app; // for the console, the browser tests and the bench

const routes = [
  [/^#\/login$/, () => authView("login")],
  [/^#\/signup$/, () => authView("signup")],
  [/^#\/(play)?$/, () => playView()],
  [/^#\/watch$/, () => watchView()],
  [/^#\/friends$/, () => friendsView()],
  [/^#\/chat(?:\/(\d+))?$/, (m) => chatView(m[1] ? Number(m[1]) : null)],
  [/^#\/game\/([\w-]+)$/, (m, query) => gameView(m[1], query.get("ws"))],
  [/^#\/users\/(\d+)$/, (m) => profileView(Number(m[1]))],
  [/^#\/me$/, () => meView()],
  [/^#\/lobby$/, () => lobbyView()],
  [/^#\/tournaments$/, () => tournamentsView()],
  [/^#\/tournament\/([\w-]+)$/, (m) => tournamentView(m[1])],
  [/^#\/leaderboard$/, () => leaderboardView()],
];
const PUBLIC_ROUTES = new Set(["#/login", "#/signup"]);

let shell = null;
let leaveView = null;

function buildShell() {
  const nav = h("nav.nav", { "aria-label": "Main" },
    link("#/play", "Play"), link("#/friends", "Friends"),
    link("#/chat", "Chat", h("span.badge", { id: "chat-badge", hidden: true })),
    link("#/tournaments", "Tournaments"), link("#/watch", "Watch"), link("#/leaderboard", "Leaderboard"));
  const user = h("div.user-chip", { id: "user-chip" });
  const main = h("main.main", { id: "main" });
  replace(document.getElementById("app"),
    h("header.topbar", {}, h("a.brand", { href: "#/play" }, h("span.brand-ball"), "Courtside"), nav, user),
    main);
  return { nav, user, main };
}

function link(href, label, ...extra) { return h("a.nav-link", { href, dataset: { route: href } }, label, ...extra); }

function renderNav() {
  if (!shell) return;
  const me = app.me;
  replace(shell.user, me && [
    h("a.me-link", { href: "#/me", title: "Your profile" }, avatar(me), h("span", { id: "me-name" }, me.nickname),
      me.is_guest && h("span.tag", {}, "guest")),
    h("button.ghost", { onclick: logout }, "Log out"),
  ]);
  for (const a of shell.nav.querySelectorAll(".nav-link")) {
    a.classList.toggle("active", location.hash.startsWith(a.dataset.route));
  }
}

function renderBadges() {
  const badge = document.getElementById("chat-badge");
  if (!badge) return;
  const total = [...app.unread.values()].reduce((a, b) => a + b, 0);
  badge.hidden = total === 0;
  badge.textContent = total > 99 ? "99+" : String(total);
}

async function logout() {
  try { await client.auth.logout(); } catch (error) { toastError(error); }
}

async function route() {
  const [path, search = ""] = (location.hash || "#/play").split("?");
  if (!client.isAuthenticated && !PUBLIC_ROUTES.has(path)) { location.hash = "#/login"; return; }
  if (client.isAuthenticated && PUBLIC_ROUTES.has(path)) { location.hash = "#/play"; return; }
  leaveView?.();
  leaveView = null;
  app.openChatId = null;
  if (client.isAuthenticated && !shell) await startSession();
  const target = client.isAuthenticated ? shell.main : document.getElementById("app");
  if (!client.isAuthenticated) shell = null;
  renderNav();
  for (const [pattern, view] of routes) {
    const match = path.match(pattern);
    if (!match) continue;
    try {
      const rendered = await view(match, new URLSearchParams(search));
      replace(target, rendered.element ?? rendered);
      leaveView = rendered.leave ?? null;
      document.title = `${rendered.title ?? "Courtside"} · Courtside`;
      // The first screen is up and answers: what the bench calls page load to interactive.
      if (!performance.getEntriesByName("courtside:interactive").length) performance.mark("courtside:interactive");
    } catch (error) {
      replace(target, h("section.card", {}, h("h2", {}, "Something went wrong"), h("p", {}, error.detail ?? error.message)));
    }
    return;
  }
  replace(target, h("section.card", {}, h("h2", {}, "Not found"), h("a", { href: "#/play" }, "Back to the lobby")));
}

async function startSession() {
  shell = buildShell();
  try {
    await app.refreshMe();
  } catch (error) {
    shell = null;
    if (error.status === 401) { location.hash = "#/login"; return; }
    throw error;
  }
  client.live.connect();
  const chats = await client.request("GET", "/api/chat/?limit=100");
  for (const chat of chats.results) if (chat.unread_messages) app.unread.set(chat.id, chat.unread_messages);
  renderBadges();
}

function listen() {
  const live = client.live;
  live.on("unread_messages", ({ chat_id, amount_unseen }) => {
    // A count sent before our read of the open chat reached the server: read again.
    if (chat_id === app.openChatId && amount_unseen > 0) { live.markRead(chat_id).catch(() => {}); return; }
    app.setUnread(chat_id, amount_unseen);
  });
  live.on("receive-message", (message) => {
    if (message.author?.id === app.me?.id || message.chat_id === app.openChatId) return;
    app.setUnread(message.chat_id, (app.unread.get(message.chat_id) ?? 0) + 1);
    if (message.type !== "invite") toast(`${message.author ? `${message.author.nickname}: ` : ""}${message.content.slice(0, 80)}`, { action: { label: "Open", run: () => app.go(`#/chat/${message.chat_id}`) } });
  });
  live.on("game-start", (start) => {
    toast("Your match is starting!", { kind: "success" });
    app.go(`#/game/${start.code}?ws=${encodeURIComponent(start.ws_url)}`);
  });
  for (const type of ["invite-1v1", "invite-3v3", "invite-clash"]) {
    live.on(type, (invite) => toast(`${invite.username} invites you to a ${invite.match_type} match`, {
      kind: "invite", action: { label: "See", run: () => app.go(`#/chat/${invite.chat_id}`) } }));
  }
  live.on("invite-tournament", (invite) => toast(`${invite.username ?? "Someone"} invites you to a tournament`, {
    kind: "invite", action: { label: "Join", run: () => app.go(`#/tournament/${invite.code}`) } }));
  live.on("receive-friend-request", (request) => toast(`${request.sender?.nickname ?? request.username} wants to be friends`, {
    action: { label: "Answer", run: () => app.go("#/friends") } }));
  live.on("accept-friend-request", (friend) => toast(`${friend.friend?.nickname ?? friend.username ?? "Someone"} accepted your friend request`, { kind: "success" }));
  live.on("lobby-banned", () => toast("You were removed from the lobby", { kind: "error" }));
  live.on("tournament-start", () => toast("Your tournament begins!", { kind: "success" }));
  live.on("user-delete", () => toast("This account was deleted", { kind: "error" }));
  let warned = null;
  live.on("reconnecting", ({ attempt }) => { if (attempt > 1 && !warned) warned = toast("Live connection lost; reconnecting…", { kind: "error" }); });
  live.on("open", () => { warned?.remove(); warned = null; });
  client.on("logout", () => {
    app.me = null;
    app.unread.clear();
    shell = null;
    location.hash = "#/login";
  });
}

listen();
addEventListener("hashchange", route);
route();
