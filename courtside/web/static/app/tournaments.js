// Tournaments: create, search, join by code with an alias, and the live bracket.
import { h, replace, form } from "./dom.js";
import { app } from "./main.js";
import { toast, toastError } from "./toasts.js";

const LIVE_EVENTS = ["tournament-join", "tournament-leave", "tournament-start", "tournament-start-at", "tournament-start-cancel",
  "tournament-match-finish", "tournament-finish", "tournament-available-spectate-matches", "tournament-banned"];

export async function tournamentsView() {
  const { client } = app;
  const results = h("ul.plain", { id: "tournament-results" });
  const current = await client.request("GET", "/api/play/tournament/").catch(() => null);
  async function search(q = "") {
    const found = await client.request("GET", `/api/play/tournament/search/?q=${encodeURIComponent(q)}&limit=20`);
    replace(results, found.results.length ? found.results.map((t) => h("li.person", {},
      h("span.person-name", {}, h("strong", {}, t.name), h("small.muted", {}, ` · ${t.participants_count ?? t.participants?.length ?? "?"}/${t.size} players`)),
      h("a.button.primary", { href: `#/tournament/${t.code}` }, "Open")))
      : h("li.muted.empty", {}, "No open tournament; create one!"));
  }
  await search().catch(() => replace(results, h("li.muted", {}, "Search is unavailable.")));
  return {
    title: "Tournaments",
    element: h("div.stack", {},
      current && h("section.card.notice", {}, "You are in ", h("a", { href: `#/tournament/${current.code}` }, current.name), "."),
      h("div.grid-2", {},
        h("section.card", {}, h("h2", {}, "Create a tournament"),
          form([{ name: "name", label: "Name", required: true },
            { name: "size", label: "Players", type: "select", value: "4", options: [["4", "4"], ["8", "8"], ["16", "16"]] },
            { name: "alias", label: "Your alias (optional)" },
            { name: "private", label: "Visibility", type: "select", value: "false", options: [["false", "Public"], ["true", "Private: by code only"]] }],
          "Create", async ({ name, size, alias, private: hidden }) => {
            const created = await client.request("POST", "/api/play/tournament/", { name, size: Number(size), private: hidden === "true", alias: alias || undefined });
            app.go(`#/tournament/${created.code}`);
          })),
        h("section.card", {}, h("h2", {}, "Find one"),
          form([{ name: "q", label: "Search by name" }], "Search", ({ q }) => search(q)),
          results,
          form([{ name: "code", label: "Join by code", required: true }], "Go", ({ code }) => app.go(`#/tournament/${code.trim()}`))))),
  };
}

export async function tournamentView(code) {
  const { client } = app;
  const body = h("div.stack", { id: "tournament" });
  async function load() {
    const mine = await client.request("GET", "/api/play/tournament/").catch(() => null);
    if (!mine || mine.code !== code) {
      replace(body, h("section.card", {}, h("h2", {}, "Join this tournament"),
        form([{ name: "alias", label: "Your alias", value: app.me.nickname }], "Join", async ({ alias }) => {
          await client.request("POST", `/api/play/tournament/${encodeURIComponent(code)}/`, { alias: alias || undefined });
          await load();
        })));
      return;
    }
    replace(body,
      h("section.card", {}, h("div.row.spread", {}, h("h2", {}, mine.name), h("span.tag", {}, mine.status)),
        h("p.muted", {}, `Code ${mine.code} · ${mine.participants.length}/${mine.size} players`,
          mine.start_at && mine.status === "open" ? ` · starts at ${new Date(mine.start_at).toLocaleTimeString()}` : ""),
        h("div.row", {},
          mine.chat_id && h("a.button.ghost", { href: `#/chat/${mine.chat_id}` }, "Tournament chat"),
          h("button.ghost.danger", { onclick: async () => { try { await client.request("DELETE", `/api/play/tournament/${code}/`); app.go("#/tournaments"); } catch (error) { toastError(error); } } }, "Leave"))),
      h("section.card", {}, h("h2", {}, "Players"), h("ul.plain.participants", {}, mine.participants.map((p) =>
        h(`li${p.still_in === false ? ".out" : ""}`, {}, h("strong", {}, p.alias), h("span.muted", {}, ` @${p.username ?? ""}`),
          mine.created_by === app.me.id && p.id !== app.me.id && mine.status === "open" &&
            h("button.link.danger", { onclick: async () => { try { await client.request("DELETE", `/api/play/tournament/${code}/ban/${p.id}/`); await load(); } catch (error) { toastError(error); } } }, "Ban"))))),
      mine.matches && h("section.card", {}, h("h2", {}, "Bracket"), bracket(mine)));
  }
  await load();
  const offs = LIVE_EVENTS.map((type) => client.live.on(type, () => load().catch(() => {})));
  offs.push(client.live.on("tournament-finish", () => toast("The tournament is over", { kind: "success" })));
  return { title: "Tournament", element: body, leave: () => offs.forEach((off) => off()) };
}

function bracket(tournament) {
  const alias = new Map(tournament.participants.map((p) => [p.id, p.alias]));
  const rounds = Object.entries(tournament.matches);
  // An empty seat in the first round is a bye; later, a winner still to come.
  const name = (id, first) => (id === null ? (first ? "bye" : "to be decided") : alias.get(id) ?? `#${id}`);
  return h("div.bracket", { id: "bracket" }, rounds.map(([round, matches], index) =>
    h("div.round", {}, h("h3", {}, round), h("div.round-matches", {}, matches.map((m) => h("div.bracket-match", {},
      h(`div${m.winner_id !== null && m.winner_id === m.player_a ? ".winner" : ""}`, {}, name(m.player_a, index === 0), h("span", {}, m.score_a ?? "")),
      h(`div${m.winner_id !== null && m.winner_id === m.player_b ? ".winner" : ""}`, {}, name(m.player_b, index === 0), h("span", {}, m.score_b ?? "")),
      m.code && !m.finished_at && h("a.link", { href: `#/game/${m.code}` }, m.player_a === app.me.id || m.player_b === app.me.id ? "Play" : "Watch")))))));
}
