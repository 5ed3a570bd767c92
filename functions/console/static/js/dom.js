// Building the page: elements from data, text always as text (never parsed as HTML).

let counter = 0;
/** A fresh id for pairing a label with its control. */
export const uid = (prefix = "f") => `${prefix}-${++counter}`;

const PROPERTIES = new Set(["value", "checked", "disabled", "selected", "hidden", "open", "indeterminate"]);

/**
 * h("button", {class: "primary", onclick: fn}, "Save") — attributes and listeners from the
 * object, children appended as nodes or as text (a string is never parsed as markup).
 */
export function h(tag, props = {}, ...children) {
  const el = tag.startsWith("svg:")
    ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4))
    : document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.setAttribute("class", value);
    else if (key === "text") el.textContent = String(value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (PROPERTIES.has(key)) el[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function svg(tag, props = {}, ...children) {
  return h(`svg:${tag}`, props, ...children);
}

export function append(el, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/** A labelled control: <div class=field><label>…</label>control<p class=hint>…</p></div>. */
export function field(label, control, hint, variant = "") {
  control.id ||= uid();
  const wrap = h("div", { class: `field ${variant}`.trim() }, h("label", { for: control.id, text: label }), control);
  if (hint) {
    const note = h("p", { class: "hint", id: uid("hint"), text: hint });
    const described = [control.getAttribute("aria-describedby"), note.id].filter(Boolean).join(" ");
    control.setAttribute("aria-describedby", described);
    wrap.append(note);
  }
  return wrap;
}

export function checkbox(label, checked, onchange) {
  const input = h("input", { type: "checkbox", checked, onchange: () => onchange(input.checked) });
  input.id = uid();
  return h("label", { class: "check", for: input.id }, input, label);
}

export function select(options, value, onchange) {
  const el = h(
    "select",
    { onchange: () => onchange && onchange(el.value) },
    options.map((o) => {
      const [v, text] = Array.isArray(o) ? o : [o, o];
      return h("option", { value: v, selected: v === value, text });
    }),
  );
  el.value = value ?? "";
  return el;
}

export function datalist(values) {
  const list = h("datalist", { id: uid("list") }, values.map((v) => h("option", { value: v })));
  return list;
}

export function badge(text, kind = text) {
  return h("span", { class: `badge ${kind || ""}`, text });
}

export function when(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

export function table(headers, rows, caption) {
  return h(
    "table",
    {},
    caption ? h("caption", { class: "muted", text: caption }) : null,
    h("thead", {}, h("tr", {}, headers.map((t) => (t instanceof Node ? t : h("th", { scope: "col", text: t }))))),
    rows instanceof HTMLTableSectionElement ? rows : h("tbody", {}, rows),
  );
}

/** Debounce: run fn once typing pauses for `ms`. */
export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

// ------------------------------------------------------------------ status and confirmation

export function notify(text, kind = "") {
  const region = document.getElementById("status");
  const toast = h("div", { class: `toast ${kind}`, text });
  region.append(toast);
  setTimeout(() => toast.remove(), kind === "bad" ? 9000 : 4500);
}

/** A modal confirmation (keyboard: focus starts on Cancel, Escape cancels). Resolves true/false. */
export function confirmAction(title, message, confirmLabel = "Confirm", danger = false) {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    const heading = h("h2", { id: uid("dlg"), text: title });
    const cancel = h("button", { type: "button", text: "Cancel", onclick: () => close(false) });
    const ok = h("button", {
      type: "button",
      class: danger ? "danger" : "primary",
      text: confirmLabel,
      onclick: () => close(true),
    });
    let done = false;
    const dialog = h(
      "dialog",
      { "aria-labelledby": heading.id },
      heading,
      h("p", { text: message }),
      h("div", { class: "toolbar" }, cancel, ok),
    );
    function close(answer) {
      if (done) return;
      done = true;
      if (dialog.open) dialog.close();
      dialog.remove();
      if (opener && opener.focus) opener.focus();
      resolve(answer);
    }
    dialog.addEventListener("close", () => close(false)); // Escape, too
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

/** Tabs with the ARIA pattern (arrow keys move between tabs). */
export function tabs(names, onselect, selected = names[0]) {
  const list = h("div", { class: "tabs", role: "tablist" });
  const buttons = names.map((name) =>
    h("button", {
      type: "button",
      role: "tab",
      "aria-selected": String(name === selected),
      tabindex: name === selected ? "0" : "-1",
      text: name,
      onclick: () => choose(name),
      onkeydown: (e) => {
        const i = names.indexOf(name);
        const next = e.key === "ArrowRight" ? i + 1 : e.key === "ArrowLeft" ? i - 1 : null;
        if (next === null) return;
        e.preventDefault();
        const target = names[(next + names.length) % names.length];
        choose(target);
        buttons[names.indexOf(target)].focus();
      },
    }),
  );
  function choose(name) {
    buttons.forEach((b, i) => {
      b.setAttribute("aria-selected", String(names[i] === name));
      b.tabIndex = names[i] === name ? 0 : -1;
    });
    onselect(name);
  }
  list.append(...buttons);
  return list;
}

/** Replace the children of `el` (null and false children are left out, as in h()). */
export function fill(el, ...children) {
  return append(clear(el), children);
}
