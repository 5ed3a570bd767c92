// Content: the list, and the editor per channel (email subject/HTML/text, SMS with its length,
// push, web) with locale overrides and a live preview rendered by the API (the renderer that
// sends) for a chosen customer and locale; email HTML in a sandboxed frame.

import { ApiError, each, get, post, put } from "../api.js";
import { badge, checkbox, clear, debounce, field, h, notify, table, tabs, when, fill } from "../dom.js";
import { href, stateBadge, versionActions } from "../lifecycle.js";
import { emailFrame, update as updateFrame } from "../preview.js";
import { markField, problemsOf, unmark, where } from "../problems.js";
import { smsLength } from "../sms.js";
import { toYaml } from "../yaml.js";

const CHANNELS = {
  email: [["subject", "Subject"], ["from_name", "Sender name"], ["html", "HTML", true], ["text", "Plain text", true]],
  sms: [["text", "Text", true]],
  push: [["title", "Title"], ["body", "Body", true]],
  web: [["headline", "Headline"], ["body", "Body", true], ["cta_url", "Call-to-action URL"], ["image_url", "Image URL"]],
};

export async function render(view, ctx) {
  const [id, tail] = ctx.where.parts;
  if (id && tail === "versions") return (await import("./versions.js")).render(view, ctx, "content", id);
  if (id) return editor(view, ctx, id === "new" ? null : id);
  return list(view, ctx);
}

async function list(view, ctx) {
  const { items } = await get("/admin/contents");
  const details = await each(items, 8, (item) => get(`/admin/contents/${encodeURIComponent(item.id)}`));
  if (!ctx.alive()) return;
  const search = h("input", { type: "search", placeholder: "name or id" });
  const body = h("tbody");
  const rows = items.map((item, i) => ({ ...item, doc: details[i] instanceof Error ? {} : details[i] }));
  function draw() {
    const q = search.value.trim().toLowerCase();
    const shown = rows.filter((r) => !q || [r.id, r.doc.name].some((t) => (t || "").toLowerCase().includes(q)));
    fill(body, 
      ...shown.map((r) =>
        h(
          "tr",
          {},
          h("td", {}, h("a", { href: href("content", r.id), text: r.doc.name || r.id }), h("div", { class: "muted", text: r.id })),
          h("td", { text: Object.keys(r.doc.channels || {}).join(", ") }),
          h("td", {}, badge(r.state, r.state), r.submitted ? [" ", badge(`v${r.submitted.version} awaiting approval`, "info")] : null),
          h("td", { class: "num", text: r.published_version ?? "—" }),
          h("td", {}, when(r.updated_at), h("div", { class: "muted", text: r.updated_by || "" })),
          h("td", {}, h("a", { href: href("content", r.id, "/versions"), text: "Versions" })),
        ),
      ),
    );
    if (!shown.length) body.append(h("tr", {}, h("td", { colspan: "6", class: "empty", text: "No content yet." })));
  }
  search.addEventListener("input", draw);
  fill(view, 
    h("div", { class: "toolbar" }, h("h1", { text: "Content" }), h("span", { class: "spacer" }), ctx.session.may.edit ? h("a", { class: "button primary", href: "#/contents/new", text: "New content" }) : null),
    h("div", { class: "row" }, field("Search", search)),
    table(["Content", "Channels", "Status", "Live version", "Last change", ""], body),
  );
  draw();
}

function documentOf(view) {
  const doc = { id: view.id, channels: structuredClone(view.channels || {}) };
  if (view.name) doc.name = view.name;
  if (view.locales && Object.keys(view.locales).length) doc.locales = structuredClone(view.locales);
  return doc;
}

function cleaned(doc) {
  const out = { id: doc.id, channels: {} };
  if (doc.name) out.name = doc.name;
  for (const [channel, block] of Object.entries(doc.channels)) {
    const kept = Object.fromEntries(Object.entries(block).filter(([, v]) => v !== "" && v !== undefined));
    out.channels[channel] = kept;
  }
  const locales = {};
  for (const [locale, blocks] of Object.entries(doc.locales || {})) {
    const kept = {};
    for (const [channel, block] of Object.entries(blocks)) {
      if (!doc.channels[channel]) continue;
      const fields = Object.fromEntries(Object.entries(block).filter(([, v]) => v !== "" && v !== undefined));
      if (Object.keys(fields).length) kept[channel] = fields;
    }
    if (locale) locales[locale] = kept;
  }
  if (Object.keys(locales).length) out.locales = locales;
  return out;
}

function smsCounter(text, label) {
  const n = smsLength(text || "");
  return h("p", {
    class: `counter ${n.encoding === "UCS-2" ? "ucs2" : ""}`,
    dataset: { encoding: n.encoding, segments: String(n.segments) },
    text: `${label}: ${n.characters} characters · ${n.encoding} · ${n.segments} segment${n.segments === 1 ? "" : "s"} (${n.remaining} left in the last)`,
  });
}

async function editor(view, ctx, id) {
  const session = ctx.session;
  const stored = id ? await get(`/admin/contents/${encodeURIComponent(id)}`) : null;
  if (!ctx.alive()) return;
  let doc = stored ? documentOf(stored) : { id: "", name: "", channels: { email: { subject: "", html: "", text: "" } } };
  const editable = session.may.edit && (!stored || stored.entity_state !== "archived");
  const form = h("form", { novalidate: true, onsubmit: (e) => (e.preventDefault(), save()) });
  const problems = h("ul", { class: "problems", "aria-live": "polite" });
  let report = null;

  const control = (path, value, onchange, multiline = false, props = {}) => {
    const el = h(multiline ? "textarea" : "input", { value: value ?? "", dataset: { path }, disabled: !editable, spellcheck: multiline ? "true" : undefined, ...props });
    if (multiline) el.classList.add("code");
    el.addEventListener("input", () => {
      onchange(el.value);
      changed(path);
    });
    return el;
  };

  function channelSection(channel, block, prefix) {
    const parts = CHANNELS[channel].map(([name, label, multiline]) => {
      const path = `${prefix}.${name}`;
      const el = control(path, block[name], (v) => (block[name] = v), multiline);
      const wrap = field(label, el);
      if (channel === "sms" && name === "text") {
        wrap.append(smsCounter(block.text, "Template"));
        el.addEventListener("input", () => {
          const fresh = wrap.querySelector(".counter");
          fresh.replaceWith(smsCounter(el.value, "Template"));
        });
      }
      return wrap;
    });
    return parts;
  }

  function draw() {
    const channelToggles = Object.keys(CHANNELS).map((channel) =>
      checkbox(channel, !!doc.channels[channel], (on) => {
        if (on) doc.channels[channel] = Object.fromEntries(CHANNELS[channel].map(([n]) => [n, ""]));
        else delete doc.channels[channel];
        draw();
        changed();
      }),
    );
    for (const toggle of channelToggles) toggle.querySelector("input").disabled = !editable;
    const locales = (doc.locales ||= {});
    const localeInput = h("input", { placeholder: "fr, de-CH …", pattern: "[a-z]{2,3}([-_][A-Za-z0-9]{2,8})*" });
    fill(form, 
      h(
        "div",
        { class: "card" },
        h(
          "div",
          { class: "row" },
          field("ID", control("id", doc.id, (v) => (doc.id = v), false, { readonly: !!stored, required: true }), stored ? "fixed once created" : "lower-case letters, digits and -"),
          field("Name", control("name", doc.name, (v) => (doc.name = v))),
        ),
        h("fieldset", { dataset: { path: "channels" } }, h("legend", { text: "Channels" }), h("div", { class: "row" }, channelToggles)),
      ),
      ...Object.keys(CHANNELS)
        .filter((c) => doc.channels[c])
        .map((channel) =>
          h("fieldset", { class: "card", dataset: { path: `channels.${channel}` } }, h("legend", { text: channel }), channelSection(channel, doc.channels[channel], `channels.${channel}`)),
        ),
      ...Object.entries(locales).map(([locale, blocks]) =>
        h(
          "fieldset",
          { class: "card", dataset: { path: `locales.${locale}` } },
          h("legend", { text: `Locale ${locale} (empty fields: as above)` }),
          Object.keys(doc.channels).map((channel) => {
            const block = (blocks[channel] ||= {});
            return h("div", {}, h("h3", { text: channel }), channelSection(channel, block, `locales.${locale}.${channel}`));
          }),
          editable
            ? h("button", {
                type: "button",
                class: "small danger",
                text: `Remove locale ${locale}`,
                onclick: () => {
                  delete locales[locale];
                  draw();
                  changed();
                },
              })
            : null,
        ),
      ),
      editable
        ? h(
            "div",
            { class: "card row" },
            field("Add a locale", localeInput, "a translation: overrides per channel for customers of that locale"),
            h("button", {
              type: "button",
              class: "narrow",
              text: "Add locale",
              onclick: () => {
                const tag = localeInput.value.trim();
                if (!tag || locales[tag]) return;
                locales[tag] = {};
                draw();
                changed();
              },
            }),
          )
        : null,
    );
    marks();
  }

  // ---------------------------------------------------------------- validation and preview
  const customer = h("input", { value: ctx.where.query.get("customer") || "", placeholder: "a customer id, e.g. c-1", autocomplete: "off" });
  const locale = h("input", { placeholder: "the customer's", autocomplete: "off" });
  const eventFields = h("textarea", { class: "code", spellcheck: "false", value: "{}" });
  const previewOut = h("div", { "aria-live": "polite" });
  let frame = null;
  let previewAsked = 0;

  const refresh = debounce(async () => {
    const body = cleaned(doc);
    try {
      report = await post("/admin/validate/contents", body);
    } catch (error) {
      report = { valid: false, errors: [{ message: error.message, field: error.field }], warnings: [] };
    }
    marks();
    await preview();
  }, 300);

  function changed() {
    refresh();
  }

  async function preview() {
    const mine = ++previewAsked;
    const drafted = Object.values(cleaned(doc).channels).some((block) => Object.keys(block).length);
    if (!drafted) return fill(previewOut, h("p", { class: "hint", text: "Write a template: its preview appears here." }));
    let event = {};
    try {
      event = JSON.parse(eventFields.value || "{}");
    } catch {
      return showPreview({ error: "Event fields: not JSON" });
    }
    const body = { draft: cleaned(doc), event };
    delete body.draft.id;
    if (customer.value.trim()) body.customer = customer.value.trim();
    if (locale.value.trim()) body.locale = locale.value.trim();
    const target = /^[a-z0-9-]{1,64}$/.test(doc.id) ? doc.id : "draft";
    try {
      const shown = await post(`/admin/contents/${target}/preview`, body);
      if (mine === previewAsked && ctx.alive()) showPreview(shown);
    } catch (error) {
      if (mine === previewAsked) showPreview({ error: error instanceof ApiError && error.status === 404 && error.field === "customer" ? `No customer ${customer.value.trim()}` : error.message });
    }
  }

  function showPreview(shown) {
    const out = [];
    if (shown.error) out.push(h("p", { class: "note warn", text: shown.error }));
    const rendered = shown.rendered || {};
    if (shown.locale) out.push(h("p", { class: "hint", text: `Rendered in locale ${shown.locale}` }));
    for (const [channel, fields] of Object.entries(rendered)) {
      out.push(h("h3", { text: channel }));
      if (fields.error) {
        out.push(h("p", { class: "note bad", text: fields.error.message }));
        continue;
      }
      if (channel === "email") {
        out.push(h("p", {}, h("strong", { text: "Subject: " }), h("span", { dataset: { preview: "subject" }, text: fields.subject || "" })));
        if (fields.html !== undefined) {
          if (!frame) frame = emailFrame(fields.html);
          else updateFrame(frame, fields.html);
          out.push(frame);
        }
        if (fields.text) out.push(h("h3", { text: "Plain text" }), h("pre", { class: "card", dataset: { preview: "text" }, text: fields.text }));
      } else if (channel === "sms") {
        out.push(h("div", { class: "bubble", dataset: { preview: "sms" }, text: fields.text || "" }), smsCounter(fields.text || "", "Rendered"));
      } else if (channel === "push") {
        out.push(h("div", { class: "push", dataset: { preview: "push" } }, h("strong", { text: fields.title || "" }), fields.body || ""));
      } else {
        out.push(
          h(
            "div",
            { class: "push", dataset: { preview: "web" } },
            h("strong", { text: fields.headline || "" }),
            h("p", { text: fields.body || "" }),
            fields.cta_url ? h("code", { text: fields.cta_url }) : null,
          ),
        );
      }
    }
    for (const warning of shown.warnings || []) out.push(h("p", { class: "note warn", text: `${warning.field}: ${warning.message}` }));
    fill(previewOut, ...out);
  }

  function marks() {
    unmark(form);
    clear(problems);
    const items = problemsOf(report);
    for (const p of items) {
      markField(form, p);
      problems.append(h("li", { class: p.level, text: `${p.field ? `${p.field}: ` : ""}${p.message}${where(p)}` }));
    }
    if (report && report.valid && !items.length) problems.append(h("li", { class: "valid", text: "✓ Valid: every template compiles." }));
  }

  // ---------------------------------------------------------------- saving
  async function save() {
    const body = cleaned(doc);
    try {
      const saved = stored
        ? await put(`/admin/contents/${encodeURIComponent(stored.id)}`, { ...body, expected_version: stored.latest_version })
        : await post("/admin/contents", body);
      notify(`Saved version ${saved.version} (draft)`);
      ctx.navigate(href("content", saved.id));
    } catch (error) {
      report = { valid: false, errors: [{ message: error.message, field: error.field, line: error.line, column: error.column }], warnings: [] };
      marks();
      notify(`Not saved: ${error.message}`, "bad");
    }
  }

  for (const el of [customer, locale, eventFields]) el.addEventListener("input", debounce(preview, 300));
  const raw = h("pre", { class: "card" });
  const panels = { Editor: h("div", { class: "split" }), YAML: h("div", { hidden: true }, raw) };
  panels.Editor.append(
    h("div", {}, form),
    h(
      "aside",
      { class: "card", "aria-label": "Live preview" },
      h("h2", { text: "Live preview" }),
      h("div", { class: "row" }, field("Customer", customer, "rendered with this customer's profile"), field("Locale", locale)),
      field("Event fields (JSON)", eventFields, "what {{ event.… }} reads"),
      previewOut,
      h("h2", { text: "Checks" }),
      problems,
    ),
  );
  const heading = h("div", { class: "toolbar" }, h("h1", { text: stored ? stored.name || stored.id : "New content" }));
  if (stored) heading.append(stateBadge(stored), badge(`version ${stored.version} of ${stored.latest_version}`, "info"));
  fill(view, 
    heading,
    stored ? versionActions(session, "content", stored, () => ctx.navigate(href("content", stored.id))) : null,
    tabs(Object.keys(panels), (name) => {
      for (const [key, panel] of Object.entries(panels)) panel.hidden = key !== name;
      raw.textContent = toYaml(cleaned(doc));
    }),
    ...Object.values(panels),
    h(
      "div",
      { class: "toolbar" },
      editable ? h("button", { type: "button", class: "primary", text: stored ? "Save as new version" : "Create draft", onclick: save }) : null,
      stored ? h("a", { class: "button", href: href("content", stored.id, "/versions"), text: "Versions and diff" }) : null,
    ),
  );
  draw();
  refresh();
}
