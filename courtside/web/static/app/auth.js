// Sign up, log in, or play at once as a guest.
import { h, form } from "./dom.js";
import { app } from "./main.js";

export function authView(mode) {
  const { client } = app;
  const signup = mode === "signup";
  const fields = signup
    ? [{ name: "username", label: "Username", autocomplete: "username", required: true, placeholder: "3–20 letters, digits, _ or -" },
      { name: "email", label: "Email (optional)", type: "email", autocomplete: "email" },
      { name: "password", label: "Password", type: "password", autocomplete: "new-password", required: true, placeholder: "8+ characters, a letter and a digit" }]
    : [{ name: "username", label: "Username", autocomplete: "username", required: true },
      { name: "password", label: "Password", type: "password", autocomplete: "current-password", required: true }];
  const submit = async (values) => {
    if (signup) await client.auth.register(values);
    else await client.auth.login(values);
    app.go("#/play");
  };
  const guest = h("button.ghost", { type: "button", onclick: async () => { await client.auth.guest(); app.go("#/play"); } }, "Play as a guest");
  return {
    title: signup ? "Sign up" : "Log in",
    element: h("div.auth-page", {},
      h("section.hero", {},
        h("h1", {}, h("span.brand-ball"), "Courtside"),
        h("p", {}, "Real-time Pong with friends: duels, ranked ladders, 3v3 clashes and tournaments.")),
      h("section.card.auth-card", {},
        h("h2", {}, signup ? "Create your account" : "Welcome back"),
        form(fields, signup ? "Sign up" : "Log in", submit, { extra: guest }),
        h("p.muted", {}, signup ? "Already have an account? " : "New here? ",
          h("a", { href: signup ? "#/login" : "#/signup" }, signup ? "Log in" : "Create an account")))),
  };
}
