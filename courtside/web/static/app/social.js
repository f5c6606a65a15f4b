// Friends with live presence, friend requests, blocks and user search.
import { h, replace, avatar, presenceDot, timeAgo } from "./dom.js";
import { app } from "./main.js";
import { toast, toastError } from "./toasts.js";

export async function friendsView() {
  const { client } = app;
  const friendsList = h("ul.people", { id: "friends" });
  const receivedList = h("ul.people", { id: "received-requests" });
  const sentList = h("ul.people", { id: "sent-requests" });
  const blockedList = h("ul.people", { id: "blocked" });
  const results = h("ul.people", { id: "search-results" });
  const search = h("input", { id: "user-search", type: "search", placeholder: "Search players by name…", autocomplete: "off" });
  let friends = [];

  const act = (run, done) => async () => { try { await run(); if (done) toast(done, { kind: "success" }); await load(); } catch (error) { toastError(error); } };

  async function load() {
    const [f, received, sent, blocked] = await Promise.all([
      client.request("GET", "/api/users/me/friends/?limit=100"),
      client.request("GET", "/api/users/me/friend_requests/received/?limit=100"),
      client.request("GET", "/api/users/me/friend_requests/?limit=100"),
      client.request("GET", "/api/users/me/blocked/?limit=100"),
    ]);
    friends = f.results;
    drawFriends();
    replace(receivedList, received.results.length ? received.results.map((r) => row(r.sender,
      h("button.primary.accept-friend", { onclick: act(() => client.request("POST", `/api/users/me/friend_requests/${r.id}/`), `You and ${r.sender.nickname} are friends`) }, "Accept"),
      h("button.ghost", { onclick: act(() => client.request("DELETE", `/api/users/me/friend_requests/${r.id}/`)) }, "Decline")))
      : h("li.muted.empty", {}, "No requests."));
    replace(sentList, sent.results.length ? sent.results.map((r) => row(r.receiver, h("span.muted", {}, "pending"),
      h("button.ghost", { onclick: act(() => client.request("DELETE", `/api/users/me/friend_requests/${r.id}/`)) }, "Cancel")))
      : h("li.muted.empty", {}, "None pending."));
    replace(blockedList, blocked.results.length ? blocked.results.map((b) => row(b.blocked,
      h("button.ghost", { onclick: act(() => client.request("DELETE", `/api/users/me/blocked/${b.id}/`), "Unblocked") }, "Unblock")))
      : h("li.muted.empty", {}, "Nobody blocked."));
  }

  function drawFriends() {
    const ordered = [...friends].sort((a, b) => Number(b.friend.status.is_online) - Number(a.friend.status.is_online)
      || a.friend.nickname.localeCompare(b.friend.nickname));
    replace(friendsList, ordered.length ? ordered.map((f) => row(f.friend,
      h("small.muted", {}, `${f.me_wins}–${f.friend_wins} head to head`),
      f.friend.status.game_playing && h("a.button.ghost", { href: "#/watch" }, "Watch"),
      h("button.ghost", { onclick: () => openDialogue(f.friend) }, "Message"),
      h("button.ghost.danger", { onclick: act(() => client.request("DELETE", `/api/users/me/friends/${f.id}/`), "Friend removed") }, "Remove")))
      : h("li.muted.empty", {}, "No friends yet: search for players above."));
  }

  async function runSearch() {
    const q = search.value.trim();
    if (!q) { replace(results); return; }
    try {
      const found = await client.request("GET", `/api/users/?q=${encodeURIComponent(q)}&exclude_me=true&limit=10`);
      replace(results, found.results.length ? found.results.map((user) => row(user, ...relationButtons(user, runSearch, load)))
        : h("li.muted.empty", {}, "Nobody by that name."));
    } catch (error) { toastError(error); }
  }

  let searchTimer = null;
  search.addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(runSearch, 250); });

  const offs = [
    client.live.on("presence", ({ user_id, is_online, game_playing }) => {
      const friend = friends.find((f) => f.friend.id === user_id);
      if (!friend) return;
      friend.friend.status = { ...friend.friend.status, is_online, game_playing };
      drawFriends();
    }),
    ...["receive-friend-request", "accept-friend-request", "reject-friend-request", "cancel-friend-request", "delete-friend"]
      .map((type) => client.live.on(type, () => load().catch(() => {}))),
  ];

  await load();
  return {
    title: "Friends",
    element: h("div.grid-2", {},
      h("section.card", {}, h("h2", {}, "Friends"), friendsList),
      h("div.stack", {},
        h("section.card", {}, h("h2", {}, "Find players"), search, results),
        h("section.card", {}, h("h2", {}, "Friend requests"), receivedList, h("h3", {}, "Sent"), sentList),
        h("section.card", {}, h("h2", {}, "Blocked"), blockedList))),
    leave: () => offs.forEach((off) => off()),
  };
}

/** A person's row: avatar, presence, name linking to the profile, then actions. */
export function row(user, ...actions) {
  return h("li.person", { dataset: { userId: user.id, username: user.username } },
    h("a.person-main", { href: `#/users/${user.id}` }, avatar(user), presenceDot(user.status),
      h("span.person-name", {}, h("strong", {}, user.nickname), h("small.muted", {}, `@${user.username}`,
        !user.status?.is_online && user.status?.last_online ? ` · seen ${timeAgo(user.status.last_online)}` : ""))),
    h("span.actions", {}, actions));
}

/** The user called exactly `username` (case-insensitive), or a CourtsideError-like refusal. */
export async function userNamed(username, field = "username") {
  const name = username.trim();
  const found = await app.client.request("GET", `/api/users/?q=${encodeURIComponent(name)}&exclude_me=true`);
  const user = found.results.find((u) => u.username.toLowerCase() === name.toLowerCase());
  if (!user) throw Object.assign(new Error(`No user is called ${name}.`), { errors: { [field]: [`No user is called ${name}.`] } });
  return user;
}

export async function openDialogue(user) {
  try {
    const profile = user.chat_id !== undefined ? user : await app.client.request("GET", `/api/users/${user.id}/`);
    const chat = profile.chat_id ? { id: profile.chat_id } : await app.client.request("POST", "/api/chat/", { username: user.username });
    app.go(`#/chat/${chat.id}`);
  } catch (error) { toastError(error); }
}

/** The buttons a public profile's relationship calls for. */
export function relationButtons(user, ...reload) {
  const { client } = app;
  const after = async (run, done) => {
    try { await run(); if (done) toast(done, { kind: "success" }); for (const r of reload) await r(); }
    catch (error) { toastError(error); }
  };
  if (user.is_blocked) return [h("span.muted", {}, "Blocked")];
  const buttons = [];
  if (!user.is_guest && !app.me.is_guest) {
    if (user.is_friend) buttons.push(h("span.tag", {}, "Friend"));
    else if (user.friend_request === "sent") buttons.push(h("span.muted", {}, "Request sent"));
    else buttons.push(h("button.primary.add-friend", { onclick: () => after(() => client.request("POST", "/api/users/me/friend_requests/", { username: user.username }),
      user.friend_request === "received" ? `You and ${user.nickname} are friends` : `Friend request sent to ${user.nickname}`) },
    user.friend_request === "received" ? "Accept request" : "Add friend"));
    buttons.push(h("button.ghost", { onclick: () => openDialogue(user) }, "Message"));
  }
  buttons.push(h("button.ghost.danger", { onclick: () => confirm(`Block ${user.nickname}?`) && after(() => client.request("POST", "/api/users/me/blocked/", { user_id: user.id }), "Blocked") }, "Block"));
  return buttons;
}
