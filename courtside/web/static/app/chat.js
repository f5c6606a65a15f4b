// Chats: dialogues and groups, live messages, unread badges, typing, invitations to play.
import { h, replace, avatar, clock, form } from "./dom.js";
import { app } from "./main.js";
import { toast, toastError } from "./toasts.js";
import { userNamed } from "./social.js";

const TYPING_SHOWN_MS = 3000;
// The server passes one typing per member per 2 s; a little more keeps clocks apart.
const TYPING_EVERY_MS = 2100;

export async function chatView(chatId) {
  const { client } = app;
  const list = h("ul.chat-list", { id: "chat-list" });
  const pane = h("section.chat-pane", { id: "chat-pane" });
  const unsubscribe = [];
  let chats = [];
  let conversation = null;

  async function loadList() {
    chats = (await client.request("GET", "/api/chat/?limit=100")).results;
    drawList();
  }

  function drawList() {
    replace(list, chats.length ? chats.map((chat) => {
      const unread = app.unread.get(chat.id) ?? 0;
      const title = chatTitle(chat);
      return h("li", {}, h(`a.chat-item${chat.id === chatId ? ".active" : ""}`, { href: `#/chat/${chat.id}`, dataset: { chatId: chat.id } },
        chat.chat_with ? avatar(chat.chat_with) : h("span.group-icon", {}, "#"),
        h("span.chat-item-text", {}, h("strong", {}, title),
          h("small.muted", {}, chat.last_message ? preview(chat.last_message) : "No messages yet")),
        h("span.badge.chat-unread", { hidden: unread === 0, dataset: { chatId: chat.id } }, String(unread))));
    }) : h("li.muted.empty", {}, "No chats yet. Start one below, or from a friend's profile."));
  }

  unsubscribe.push(() => removeEventListener("courtside:unread", drawList));
  addEventListener("courtside:unread", drawList);
  unsubscribe.push(client.live.on("receive-message", (message) => {
    const chat = chats.find((c) => c.id === message.chat_id);
    if (chat) { chat.last_message = message; chats = [chat, ...chats.filter((c) => c !== chat)]; drawList(); }
    else loadList().catch(() => {});
    conversation?.received(message);
  }));
  unsubscribe.push(client.live.on("update-message", (message) => conversation?.updated(message)));
  unsubscribe.push(client.live.on("delete-message", (message) => conversation?.updated({ ...message, is_deleted: true, content: "" })));
  unsubscribe.push(client.live.on("typing", (typing) => conversation?.typing(typing)));

  const newChat = h("details.new-chat", {}, h("summary", {}, "New chat"),
    form([{ name: "username", label: "Message a user", placeholder: "username", required: true }], "Open", async ({ username }) => {
      const chat = await client.request("POST", "/api/chat/", { username });
      app.go(`#/chat/${chat.id}`);
    }),
    form([{ name: "name", label: "New group", placeholder: "group name", required: true },
      { name: "members", label: "Members", placeholder: "usernames, comma-separated" }], "Create group", async ({ name, members }) => {
      const ids = await idsOf(members);
      const chat = await client.request("POST", "/api/chat/", { name, members: ids });
      app.go(`#/chat/${chat.id}`);
    }));

  await loadList();
  if (chatId !== null) {
    conversation = await openConversation(chatId, pane);
    unsubscribe.push(() => conversation.leave());
  } else {
    replace(pane, h("div.empty-pane", {}, h("p.muted", {}, "Pick a chat on the left.")));
  }
  return {
    title: "Chat",
    element: h("div.chat-page", {}, h("aside.chat-side", {}, h("h2", {}, "Chats"), list, newChat), pane),
    leave: () => unsubscribe.forEach((off) => off()),
  };
}

async function idsOf(usernames) {
  const names = usernames.split(",").map((n) => n.trim()).filter(Boolean);
  return Promise.all(names.map(async (name) => (await userNamed(name, "members")).id));
}

function chatTitle(chat) { return chat.name ?? chat.chat_with?.nickname ?? "Chat"; }
function preview(message) {
  if (message.is_deleted) return "Message deleted";
  return `${message.author ? `${message.author.nickname}: ` : ""}${message.content}`.slice(0, 60);
}

async function openConversation(chatId, pane) {
  const { client } = app;
  const chat = await client.request("GET", `/api/chat/${chatId}/`);
  app.openChatId = chatId;
  const messages = (await client.request("GET", `/api/chat/${chatId}/messages/?limit=50`)).results.reverse();
  const byId = new Map();
  const log = h("ol.messages", { id: "messages" });
  const typingLine = h("p.typing", { id: "typing", hidden: true });
  const input = h("input.composer-input", { id: "composer", placeholder: "Write a message…", maxlength: 2000, autocomplete: "off" });
  let lastTyping = 0;
  let typingTimer = null;
  const partner = chat.chat_with;

  function render(message) {
    const mine = message.author?.id === app.me.id;
    const body = message.is_deleted ? h("em.muted", {}, "This message was deleted")
      : message.type === "invite" ? inviteCard(message, mine)
        : h("span.text", {}, message.content);
    const item = h(`li.message${mine ? ".mine" : ""}${message.type === "system" ? ".system" : ""}`, { dataset: { messageId: message.id } },
      !mine && message.author && h("span.author", {}, message.author.nickname),
      h("div.bubble", {}, body,
        h("span.meta", {}, clock(message.sent_at),
          mine && !message.is_deleted && message.type === "message" && h("button.link.delete", { title: "Delete", onclick: () => remove(message) }, "Delete"))));
    return item;
  }

  function inviteCard(message, mine) {
    const payload = message.payload ?? {};
    const status = payload.status ?? "pending";
    const actions = [];
    if (status === "pending" && !mine) {
      actions.push(h("button.primary.accept-invite", { onclick: () => answer(message, "accept") }, "Accept"));
      actions.push(h("button.ghost", { onclick: () => answer(message, "decline") }, "Decline"));
    } else if (status === "pending") {
      actions.push(h("button.ghost", { onclick: () => answer(message, "cancel") }, "Cancel"));
    }
    return h("div.invite-card", { dataset: { status } }, h("strong", {}, message.content),
      h("span.invite-status", {}, status === "pending" ? (mine ? "Waiting for an answer…" : "Will you play?") : status), h("div.row", {}, actions));
  }

  async function answer(message, action) {
    try {
      const id = message.payload.invite_id;
      if (action === "accept") {
        const accepted = await client.play.accept(id);
        if (accepted.match) app.go(`#/game/${accepted.match.code}?ws=${encodeURIComponent(accepted.match.ws_url)}`);
        else if (accepted.lobby) app.go("#/lobby");
      } else if (action === "decline") await client.play.decline(id);
      else await client.play.cancel(id);
    } catch (error) { toastError(error); }
  }

  async function remove(message) {
    try { await client.request("DELETE", `/api/chat/${chatId}/messages/${message.id}/`); }
    catch (error) { toastError(error); }
  }

  function add(message) {
    if (byId.has(message.id)) return;
    const item = render(message);
    byId.set(message.id, item);
    log.append(item);
    item.scrollIntoView({ block: "end" });
  }

  function markRead() {
    app.setUnread(chatId, 0);
    client.live.markRead(chatId).catch(() => {});
  }

  async function send() {
    const content = input.value.trim();
    if (!content) return;
    input.value = "";
    try { add(await client.live.sendMessage(chatId, content)); }
    catch (error) { input.value = content; toastError(error); }
  }

  input.addEventListener("keydown", (event) => { if (event.key === "Enter") { event.preventDefault(); send(); } });
  // While the user types, tell the others once per window, the last keystroke included.
  let typingLater = null;
  const sendTyping = () => { typingLater = null; lastTyping = Date.now(); client.live.typing(chatId); };
  input.addEventListener("input", () => {
    if (!input.value || typingLater) return;
    const wait = lastTyping + TYPING_EVERY_MS - Date.now();
    if (wait <= 0) sendTyping(); else typingLater = setTimeout(sendTyping, wait);
  });

  const header = h("header.chat-header", {},
    partner ? h("a.chat-with", { href: `#/users/${partner.id}` }, avatar(partner), h("strong", {}, partner.nickname), h("small.muted", {}, `@${partner.username}`))
      : h("div", {}, h("strong", {}, chat.name), h("small.muted", {}, ` · ${chat.members_count} members`)),
    h("div.row", {},
      partner && h("button.primary", { id: "invite-to-play", onclick: async () => {
        try { await client.play.invite(partner.id, "1v1"); toast(`Invitation sent to ${partner.nickname}`, { kind: "success" }); }
        catch (error) { toastError(error); }
      } }, "Invite to play"),
      h("button.ghost", { onclick: async () => {
        const leaving = chat.type === "group" ? (chat.admin_id === app.me.id ? "Delete this group?" : "Leave this group?") : "Hide this dialogue?";
        if (!confirm(leaving)) return;
        try { await client.request("DELETE", `/api/chat/${chatId}/`); app.go("#/chat"); } catch (error) { toastError(error); }
      } }, chat.type === "group" ? (chat.admin_id === app.me.id ? "Delete group" : "Leave") : "Hide")));

  replace(pane, header, log, typingLine,
    h("form.composer", { onsubmit: (event) => { event.preventDefault(); send(); } }, input, h("button.primary", { type: "submit" }, "Send")));
  messages.forEach(add);
  markRead();

  return {
    received(message) {
      if (message.chat_id !== chatId) return;
      add(message);
      typingLine.hidden = true;
      if (message.author?.id !== app.me.id) markRead();
    },
    updated(message) {
      if (message.chat_id !== chatId || !byId.has(message.id)) return;
      const item = render(message);
      byId.get(message.id).replaceWith(item);
      byId.set(message.id, item);
    },
    typing({ chat_id, user_id }) {
      if (chat_id !== chatId || user_id === app.me.id) return;
      const who = chat.members?.find((m) => m.id === user_id);
      typingLine.textContent = `${who?.nickname ?? "Someone"} is typing…`;
      typingLine.hidden = false;
      clearTimeout(typingTimer);
      typingTimer = setTimeout(() => { typingLine.hidden = true; }, TYPING_SHOWN_MS);
    },
    leave() { clearTimeout(typingTimer); clearTimeout(typingLater); },
  };
}
