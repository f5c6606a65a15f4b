// The leaderboard: trophies for ranked, wins for the other modes.
import { h, replace, avatar } from "./dom.js";
import { app } from "./main.js";

const MODES = [["ranked", "Ranked"], ["duel", "Duel"], ["clash", "Clash"], ["tournament", "Tournament"]];

export async function leaderboardView() {
  const table = h("tbody");
  const tabs = h("div.tabs");
  const heading = h("th", {}, "Score");
  const mine = h("p.muted");
  async function show(mode) {
    replace(tabs, MODES.map(([value, label]) => h(`button.tab${value === mode ? ".active" : ""}`, { onclick: () => show(value) }, label)));
    const board = await app.client.request("GET", `/api/leaderboard/?mode=${mode}&limit=50`);
    heading.textContent = board.score === "trophies" ? "Trophies" : board.score === "tournament_wins" ? "Tournaments won" : "Wins";
    replace(table, board.results.length ? board.results.map((line) => h(`tr${line.user.id === app.me.id ? ".me" : ""}`, {},
      h("td", {}, String(line.rank)),
      h("td", {}, h("a.person-main", { href: `#/users/${line.user.id}` }, avatar(line.user), line.user.nickname)),
      h("td", {}, String(line.score)), h("td", {}, String(line.games)))) : h("tr", {}, h("td.muted", { colSpan: 4 }, "Nobody has played this mode yet.")));
    replace(mine, board.me ? `You are #${board.me.rank} with ${board.me.score}.` : "");
  }
  await show("ranked");
  return { title: "Leaderboard", element: h("section.card", {}, h("h2", {}, "Leaderboard"), tabs, h("table.stats", { id: "leaderboard" }, h("thead", {}, h("tr", {}, h("th", {}, "#"), h("th", {}, "Player"), heading, h("th", {}, "Games"))), table), mine) };
}
