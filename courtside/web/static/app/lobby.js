// A lobby: teams, ready, ban, invitations and its chat, live through lobby-* events.
import { h, replace } from "./dom.js";
import { app } from "./main.js";
import { toast, toastError } from "./toasts.js";
import { userNamed } from "./social.js";

const LIVE_EVENTS = ["lobby-join", "lobby-leave", "lobby-update", "lobby-update-participant", "lobby-banned", "lobby-destroy"];

export async function lobbyView() {
  const { client } = app;
  const body = h("div.stack", { id: "lobby" });
  const said = h("ol.messages.lobby-messages");
  const call = (run) => async () => { try { await run(); await load(); } catch (error) { toastError(error); } };

  async function load() {
    let lobby;
    try { lobby = await client.request("GET", "/api/play/lobby/"); }
    catch (error) {
      if (error.status !== 404) throw error;
      replace(body, h("section.card", {}, h("h2", {}, "You are not in a lobby"), h("a.button.primary", { href: "#/play" }, "Create or join one")));
      return;
    }
    const me = lobby.participants.find((p) => p.id === app.me.id);
    const creator = me?.creator ?? false;
    const teams = lobby.game_mode === "custom_game" ? ["a", "b", "spectator"] : [];
    const invite = h("input", { placeholder: "friend's username", id: "lobby-invite" });
    replace(body,
      h("section.card", {}, h("div.row.spread", {}, h("h2", {}, lobby.game_mode === "clash" ? "Clash lobby" : "Custom game"), h("span.tag", {}, `code ${lobby.code}`)),
        h("p.muted", {}, `${lobby.match_type} · first to ${lobby.score_to_win} · ${lobby.participants.length}/${lobby.max_participants} players`),
        h("div.row", {},
          me && h("button.primary", { id: "lobby-ready", onclick: call(() => client.request("PATCH", `/api/play/lobby/${lobby.code}/`, { is_ready: !me.is_ready })) }, me.is_ready ? "Not ready" : "Ready"),
          h("button.ghost.danger", { onclick: async () => { try { await client.request("DELETE", `/api/play/lobby/${lobby.code}/`); app.go("#/play"); } catch (error) { toastError(error); } } }, "Leave"))),
      h("section.card", {}, h("h2", {}, "Players"),
        h("ul.people", {}, lobby.participants.map((p) => h("li.person", {},
          h("span.person-name", {}, h("strong", {}, p.nickname), h("small.muted", {}, p.creator ? " · host" : "", p.team ? ` · team ${p.team}` : "")),
          h("span.actions", {},
            h(`span.tag${p.is_ready ? ".ok" : ""}`, {}, p.is_ready ? "ready" : "not ready"),
            p.id === app.me.id && teams.map((team) => h("button.ghost", { disabled: p.team === team, onclick: call(() => client.request("PATCH", `/api/play/lobby/${lobby.code}/`, { team })) }, team === "spectator" ? "Spectate" : `Team ${team}`)),
            creator && p.id !== app.me.id && h("button.ghost.danger", { onclick: call(() => client.request("DELETE", `/api/play/lobby/${lobby.code}/ban/${p.id}/`)) }, "Ban")))))),
      h("section.card", {}, h("h2", {}, "Invite"), h("form.row", { onsubmit: async (event) => {
        event.preventDefault();
        try {
          const user = await userNamed(invite.value);
          await client.request("POST", `/api/play/lobby/${lobby.code}/invite/${user.id}/`);
          toast(`Invited ${user.nickname}`, { kind: "success" });
          invite.value = "";
        } catch (error) { toastError(error); }
      } }, invite, h("button.primary", { type: "submit" }, "Invite"))),
      h("section.card", {}, h("h2", {}, "Lobby chat"), said, lobbyComposer(lobby.code)));
  }

  function lobbyComposer(code) {
    const input = h("input.composer-input", { placeholder: "Say something…", maxlength: 2000 });
    return h("form.composer", { onsubmit: async (event) => {
      event.preventDefault();
      const content = input.value.trim();
      if (!content) return;
      input.value = "";
      try { await client.request("POST", `/api/play/lobby/${code}/message/`, { content }); } catch (error) { toastError(error); }
    } }, input, h("button.primary", { type: "submit" }, "Send"));
  }

  await load();
  const offs = LIVE_EVENTS.map((type) => client.live.on(type, () => load().catch(() => {})));
  offs.push(client.live.on("lobby-message", (message) => {
    said.append(h("li.message", {}, h("span.author", {}, message.username ?? message.author?.nickname ?? ""), h("div.bubble", {}, message.content ?? message.message ?? "")));
  }));
  offs.push(client.live.on("lobby-destroy", () => { toast("The lobby closed"); app.go("#/play"); }));
  return { title: "Lobby", element: body, leave: () => offs.forEach((off) => off()) };
}
