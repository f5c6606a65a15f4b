// Profiles: stats per mode, best and worst enemy, match history; your own settings.
import { h, replace, avatar, presenceDot, timeAgo, form } from "./dom.js";
import { app } from "./main.js";
import { toast, toastError } from "./toasts.js";
import { relationButtons } from "./social.js";

export async function profileView(userId) {
  const { client } = app;
  const mine = userId === app.me.id;
  const [user, stats, matches, tournaments] = await Promise.all([
    mine ? client.request("GET", "/api/users/me/") : client.request("GET", `/api/users/${userId}/`),
    client.request("GET", `/api/users/${userId}/stats/`),
    client.request("GET", `/api/users/${userId}/matches/?limit=20`),
    client.request("GET", `/api/users/${userId}/tournaments/?limit=10`).catch(() => ({ results: [] })),
  ]);
  const actions = h("div.row");
  const redraw = async () => { const fresh = await client.request("GET", `/api/users/${userId}/`); replace(actions, relationButtons(fresh, redraw)); };
  if (!mine) replace(actions, relationButtons(user, redraw));
  else replace(actions, h("a.button.ghost", { href: "#/me" }, "Edit profile"));
  const status = user.status ?? { is_online: user.is_online, last_online: user.last_online };
  return {
    title: user.nickname,
    element: h("div.stack", {},
      h("section.card.profile-head", {},
        h("img.avatar.large", { src: user.profile_picture.large, alt: "", width: 96, height: 96 }),
        h("div", {}, h("h2", {}, user.nickname, " ", presenceDot(status)), h("p.muted", {}, `@${user.username} · ${user.trophies} trophies`,
          status.game_playing ? " · in a match" : status.is_online ? " · online" : status.last_online ? ` · seen ${timeAgo(status.last_online)}` : ""), user.bio && h("p.bio", {}, user.bio), actions)),
      h("div.grid-2", {},
        h("section.card", {}, h("h2", {}, "Stats"), statsTable(stats), enemies(stats)),
        h("section.card", {}, h("h2", {}, "Match history"), history(matches.results, userId))),
      tournaments.results.length > 0 && h("section.card", {}, h("h2", {}, "Tournaments"),
        h("ul.plain", {}, tournaments.results.map((t) => h("li", {}, h("strong", {}, t.name ?? t.code), h("span.muted", {}, ` · ${t.status ?? ""} ${t.placement ? `· placed ${t.placement}` : ""}`)))))),
  };
}

function statsTable(stats) {
  const modes = Array.isArray(stats.modes) ? stats.modes : Object.entries(stats.modes ?? {}).map(([mode, line]) => ({ mode, ...line }));
  if (!modes.length) return h("p.muted", {}, "No matches played yet.");
  const cell = (line, key) => h("td", {}, String(line[key] ?? 0));
  return h("table.stats", { id: "stats" },
    h("thead", {}, h("tr", {}, ["Mode", "Played", "Wins", "Losses", "Goals", "Best streak"].map((c) => h("th", {}, c)))),
    h("tbody", {}, modes.map((line) => h("tr", {}, h("td", {}, line.mode), cell(line, "games"), cell(line, "wins"), cell(line, "losses"), cell(line, "goals_scored"), cell(line, "best_win_streak")))));
}

function enemies(stats) {
  const line = (label, enemy, count) => enemy && h("p", {}, h("span.muted", {}, `${label}: `), h("a", { href: `#/users/${enemy.user_id}` }, enemy.nickname ?? enemy.username), h("span.muted", {}, ` (${enemy[count]})`));
  return h("div.enemies", {}, line("Best enemy", stats.best_enemy, "wins_against"), line("Worst enemy", stats.worst_enemy, "losses_against"));
}

function history(records, userId) {
  if (!records.length) return h("p.muted", { id: "history-empty" }, "No matches yet.");
  return h("ul.history", { id: "history" }, records.map((record) => {
    const me = record.players.find((p) => p.user_id === userId);
    const others = record.players.filter((p) => p.team !== me?.team);
    const outcome = record.winning_team === null ? "draw" : record.winning_team === me?.team ? "win" : "loss";
    const [mineScore, theirs] = me?.team === "b" ? [record.score_b, record.score_a] : [record.score_a, record.score_b];
    return h(`li.history-line.${outcome}`, { dataset: { code: record.code, outcome } },
      h("span.outcome", {}, outcome === "win" ? "W" : outcome === "loss" ? "L" : "–"),
      h("span", {}, h("strong", {}, `${mineScore} – ${theirs}`), " vs ", others.map((p, i) => [i ? ", " : "", h("a", { href: `#/users/${p.user_id}` }, p.nickname)])),
      h("span.muted", {}, `${record.game_mode}${record.reason !== "score" ? ` · ${record.reason}` : ""} · ${timeAgo(record.ended_at)}`));
  }));
}

export async function meView() {
  const { client } = app;
  const me = await app.refreshMe();
  const avatarImage = h("img.avatar.large", { src: me.profile_picture.large, alt: "", width: 96, height: 96 });
  const file = h("input", { type: "file", accept: "image/png,image/jpeg,image/webp", id: "avatar-file" });
  file.addEventListener("change", async () => {
    if (!file.files.length) return;
    const body = new FormData();
    body.append("avatar", file.files[0]);
    try { await client.request("PUT", "/api/users/me/avatar/", body); await refresh(); toast("Avatar updated", { kind: "success" }); }
    catch (error) { toastError(error); }
  });
  async function refresh() { const fresh = await app.refreshMe(); avatarImage.src = `${fresh.profile_picture.large}?${Date.now()}`; }

  const profileForm = form([
    { name: "nickname", label: "Nickname", value: me.nickname, required: true },
    { name: "bio", label: "Bio (up to 280 characters)", value: me.bio, placeholder: "A few words about you" },
    ...(me.is_guest ? [] : [{ name: "email", label: "Email", type: "email", value: me.email ?? "" }]),
    { name: "accept_chat_from", label: "Who may message you", type: "select", value: me.accept_chat_from, options: [["everyone", "Everyone"], ["friends_only", "Friends only"], ["none", "Nobody"]] },
  ], "Save", async (values) => {
    const body = { nickname: values.nickname, bio: values.bio, accept_chat_from: values.accept_chat_from };
    if (!me.is_guest) body.email = values.email || null;
    await client.request("PATCH", "/api/users/me/", body);
    toast("Profile saved", { kind: "success" });
    app.go("#/me"); // drawn again with what the server kept
  });

  const upgrade = me.is_guest && h("section.card", {}, h("h2", {}, "Keep this account"), h("p.muted", {}, "Register the guest account: your matches stay in your history."),
    form([{ name: "username", label: "Username", required: true }, { name: "email", label: "Email (optional)", type: "email" },
      { name: "password", label: "Password", type: "password", autocomplete: "new-password", required: true }], "Register", async (values) => {
      await client.auth.upgrade(values);
      await app.refreshMe();
      toast("Welcome aboard! Your account is registered.", { kind: "success" });
      app.go("#/play");
    }));

  const password = !me.is_guest && h("section.card", {}, h("h2", {}, "Password"),
    form([{ name: "old_password", label: "Current password", type: "password", autocomplete: "current-password", required: true },
      { name: "password", label: "New password", type: "password", autocomplete: "new-password", required: true }], "Change password", async (values) => {
      await client.request("PATCH", "/api/users/me/", values);
      toast("Password changed: log in again with it", { kind: "success" });
      await client.auth.logout().catch(() => {});
    }));

  const danger = h("section.card.danger-zone", {}, h("h2", {}, "Your data"),
    h("div.row", {}, h("button.ghost", { onclick: async () => {
      try {
        const data = await client.request("GET", "/api/users/me/download-data/");
        const link = h("a", { href: URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" })), download: `courtside-${me.username}.json` });
        link.click();
      } catch (error) { toastError(error); }
    } }, "Download my data")),
    form([{ name: "confirm_password", label: "Delete the account: type your password", type: "password", autocomplete: "current-password", required: !me.is_guest }], "Delete my account", async ({ confirm_password: value }) => {
      if (!confirm("Delete your account for good? Your name disappears from others' history.")) return;
      await client.request("DELETE", "/api/users/me/", value ? { password: value } : {});
      client.auth.logout().catch(() => {});
    }));

  return {
    title: "Your profile",
    element: h("div.stack", {},
      h("section.card.profile-head", {}, avatarImage, h("div", {}, h("h2", {}, me.nickname), h("p.muted", {}, `@${me.username}${me.is_guest ? " · guest" : ""} · ${me.trophies} trophies`),
        me.bio && h("p.bio", {}, me.bio),
        h("div.row", {}, h("label.button.ghost", { for: "avatar-file" }, "Upload avatar"), file,
          h("button.ghost", { onclick: async () => { try { await client.request("DELETE", "/api/users/me/avatar/"); await refresh(); } catch (error) { toastError(error); } } }, "Remove avatar"),
          h("a.button.ghost", { href: `#/users/${me.id}` }, "Public profile & history")))),
      upgrade,
      h("div.grid-2", {}, h("section.card", {}, h("h2", {}, "Profile"), profileForm), password),
      danger),
  };
}
