// DOM helpers: elements are built with textContent only, never innerHTML, so
// whatever a user typed (names, messages) is never parsed as markup.

export function h(tag, attrs = {}, ...children) {
  const [name, ...classes] = tag.split(".");
  const element = document.createElement(name || "div");
  if (classes.length) element.className = classes.join(" ");
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") element.addEventListener(key.slice(2), value);
    else if (key === "class") element.className += (element.className ? " " : "") + value;
    else if (key === "dataset") Object.assign(element.dataset, value);
    else if (key in element && key !== "list" && typeof value !== "string") element[key] = value;
    else element.setAttribute(key, value === true ? "" : value);
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

export function avatar(user, size = "small") {
  const url = user?.profile_picture?.[size];
  return h("img.avatar", { src: url, alt: "", width: 32, height: 32, loading: "lazy" });
}

export function presenceDot(status) {
  const state = status?.game_playing ? "playing" : status?.is_online ? "online" : "offline";
  const label = { playing: "In a match", online: "Online", offline: "Offline" }[state];
  return h(`span.dot.${state}`, { title: label, "aria-label": label, dataset: { presence: state } });
}

export function timeAgo(iso) {
  if (!iso) return "";
  const seconds = (Date.now() - new Date(iso).getTime()) / 1000;
  if (seconds < 60) return "just now";
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

export function clock(iso) {
  return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/** A form whose submit handler gets its values; errors from the server land on the fields. */
export function form(fields, submitLabel, onSubmit, { extra = null } = {}) {
  const errorBox = h("p.form-error", { role: "alert" });
  const inputs = {};
  const rows = fields.map((field) => {
    const input = field.type === "select"
      ? h("select", { name: field.name, id: `f-${field.name}` }, field.options.map(([value, label]) => h("option", { value, selected: value === field.value }, label)))
      : h("input", { name: field.name, id: `f-${field.name}`, type: field.type ?? "text", value: field.value ?? "",
        placeholder: field.placeholder ?? "", autocomplete: field.autocomplete ?? "off", required: field.required ?? false,
        min: field.min, max: field.max });
    inputs[field.name] = input;
    return h("label.field", { for: `f-${field.name}` }, h("span", {}, field.label), input, h("small.field-error", { dataset: { for: field.name } }));
  });
  const button = h("button.primary", { type: "submit" }, submitLabel);
  const element = h("form.form", {
    onsubmit: async (event) => {
      event.preventDefault();
      errorBox.textContent = "";
      element.querySelectorAll(".field-error").forEach((small) => { small.textContent = ""; });
      const values = Object.fromEntries(Object.entries(inputs).map(([name, input]) => [name, input.value]));
      button.disabled = true;
      try {
        await onSubmit(values, element);
      } catch (error) {
        showErrors(element, errorBox, error);
      } finally {
        button.disabled = false;
      }
    },
  }, rows, errorBox, h("div.form-actions", {}, button, extra));
  return element;
}

function showErrors(element, errorBox, error) {
  let placed = false;
  for (const [field, messages] of Object.entries(error.errors ?? {})) {
    const small = element.querySelector(`.field-error[data-for="${CSS.escape(field)}"]`);
    if (small) { small.textContent = messages.join(" "); placed = true; }
  }
  if (!placed || !error.errors) errorBox.textContent = error.detail ?? error.message;
}
