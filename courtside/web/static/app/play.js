// Play: the duel and ranked queues, lobbies, invitations; Watch: live matches.
import { h, replace, form } from "./dom.js";
import { app } from "./main.js";
import { toast, toastError } from "./toasts.js";

export async function playView() {
  const { client } = app;
  const queueBox = h("div.queue-status", { id: "queue-status" });
  let queued = null;

  function drawQueue() {
    replace(queueBox, queued
      ? [h("span.spinner"), h("span", {}, `Looking for a ${queued} opponent…`),
        h("button.ghost", { onclick: async () => { try { await client.play.leave(queued); } catch (error) { if (error.status !== 404) toastError(error); } queued = null; drawQueue(); } }, "Cancel")]
      : []);
  }

  const join = (mode) => async () => {
    try { await client.play.queue(mode); queued = mode; drawQueue(); }
    catch (error) { toastError(error); }
  };
  // The queue restarted and forgot us: say so, rather than spin for good.
  const stopListening = client.live.on("queue-left", ({ game_mode }) => {
    if (game_mode !== queued) return;
    queued = null;
    drawQueue();
    toast(`The ${game_mode} queue restarted and lost your place; join again`, { kind: "error" });
  });

  const ranked = h("button.mode-card", { id: "queue-ranked", onclick: join("ranked"), disabled: app.me.is_guest, title: app.me.is_guest ? "Register your account to play ranked" : "" },
    h("strong", {}, "Ranked"), h("span", {}, `Win trophies · you have ${app.me.trophies} trophies`));
  const lobbyForm = form([
    { name: "game_mode", label: "Mode", type: "select", value: "custom_game", options: [["custom_game", "Custom game"], ["clash", "Clash (3v3)"]] },
    { name: "match_type", label: "Teams", type: "select", value: "1v1", options: [["1v1", "1 vs 1"], ["3v3", "3 vs 3"]] },
    { name: "score_to_win", label: "Points to win", type: "number", value: "5", min: 1, max: 21 },
  ], "Create lobby", async ({ game_mode, match_type, score_to_win }) => {
    const body = game_mode === "clash" ? { game_mode } : { game_mode, match_type, score_to_win: Number(score_to_win) };
    await client.request("POST", "/api/play/lobby/", body);
    app.go("#/lobby");
  });
  const joinForm = form([{ name: "code", label: "Lobby code", required: true }], "Join", async ({ code }) => {
    await client.request("POST", `/api/play/lobby/${encodeURIComponent(code.trim())}/`);
    app.go("#/lobby");
  });

  return {
    title: "Play",
    element: h("div.stack", {},
      h("section.card", {}, h("h2", {}, `Hi ${app.me.nickname}, ready to play?`),
        h("div.modes", {},
          h("button.mode-card", { id: "queue-duel", onclick: join("duel") }, h("strong", {}, "Duel"), h("span", {}, "A casual 1 vs 1 with the next free player")),
          ranked,
          h("a.mode-card", { href: "#/tournaments" }, h("strong", {}, "Tournament"), h("span", {}, "4, 8 or 16 players, a live bracket"))),
        queueBox,
        app.me.is_guest && h("p.notice", {}, "You are playing as a guest. ", h("a", { href: "#/me" }, "Register"), " to keep your history and play ranked.")),
      h("div.grid-2", {},
        h("section.card", {}, h("h2", {}, "Host a lobby"), h("p.muted", {}, "Invite friends, pick teams, start when everyone is ready."), lobbyForm),
        h("section.card", {}, h("h2", {}, "Join a lobby"), joinForm, h("p.muted", {}, "Or invite a friend to a 1 vs 1 from your chat.")))),
    leave: () => {
      stopListening();
      if (queued) client.play.leave(queued).catch(() => {});
    },
  };
}

export async function watchView() {
  const { client } = app;
  const list = h("ul.live-matches", { id: "live-matches" });
  async function load() {
    const live = await client.play.live();
    replace(list, live.results.length ? live.results.map((m) => h("li.live-match", { dataset: { code: m.code } },
      h("span.mode", {}, m.game_mode), h("strong", {}, `${m.score_a ?? 0} – ${m.score_b ?? 0}`), h("span.muted", {}, m.phase ?? ""),
      h("a.button.primary", { href: `#/game/${m.code}?ws=${encodeURIComponent(m.ws_url)}` }, "Watch")))
      : h("li.muted.empty", {}, "No match is being played right now."));
  }
  await load();
  const timer = setInterval(() => load().catch(() => {}), 3000);
  return {
    title: "Watch",
    element: h("section.card", {}, h("div.row.spread", {}, h("h2", {}, "Live matches"), h("button.ghost", { onclick: () => load().catch(toastError) }, "Refresh")), list),
    leave: () => clearInterval(timer),
  };
}
