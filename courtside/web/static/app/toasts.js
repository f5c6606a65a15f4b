// Short notices in a corner: live-channel events, refusals, confirmations.
import { h } from "./dom.js";

const SHOWN_MS = 6000;

export function toast(text, { kind = "info", action = null } = {}) {
  const box = document.getElementById("toasts");
  const close = () => { item.classList.add("leaving"); setTimeout(() => item.remove(), 200); };
  const item = h(`div.toast.${kind}`, {},
    h("span", {}, text),
    action && h("button.link", { onclick: () => { action.run(); close(); } }, action.label),
    h("button.close", { "aria-label": "Dismiss", onclick: close }, "×"));
  box.append(item);
  setTimeout(close, SHOWN_MS);
  return item;
}

export function toastError(error) {
  toast(error?.detail ?? error?.message ?? String(error), { kind: "error" });
}
