// The rule editor: a form for every field and action, a condition that is validated as you type
// (errors and warnings at their line and column, suggestions of known fields), a raw YAML/JSON
// view, and the version's actions (submit, publish …) as the user's groups allow.

import { ApiError, get, post, put } from "../api.js";
import { append, badge, clear, datalist, debounce, fill, field, h, notify, select, tabs, uid } from "../dom.js";
import { href, stateBadge, versionActions } from "../lifecycle.js";
import { markField, problemsOf, unmark, where } from "../problems.js";
import { toYaml } from "../yaml.js";

const FIELDS = ["id", "name", "on", "priority", "when", "then", "else", "category", "active"];
const KINDS = ["send", "offer", "route", "alert", "update_profile"];
const PROFILE_FIELDS = ["customer_id", "email", "phone", "timezone", "locale", "consent.email", "consent.sms", "consent.push"];

export function documentOf(view) {
  const doc = {};
  for (const key of FIELDS) if (view[key] !== undefined && view[key] !== null) doc[key] = structuredClone(view[key]);
  return doc;
}

function blankAction(kind) {
  return {
    send: { send: { channel: "email", content: "" } },
    offer: { offer: { placement: "", content: "" } },
    route: { route: { queue: "", priority: "normal", reason: "" } },
    alert: { alert: { topic: "", message: "" } },
    update_profile: { update_profile: { set: { "": "" } } },
  }[kind];
}

/** The document as the API takes it: empty optional fields left out. */
function cleaned(doc) {
  const out = structuredClone(doc);
  if (!out.when || !out.when.trim()) delete out.when;
  if (!out.else || !out.else.length) delete out.else;
  if (out.active && !out.active.from && !out.active.until) delete out.active;
  else if (out.active) for (const k of ["from", "until"]) if (!out.active[k]) delete out.active[k];
  for (const list of [out.then || [], out.else || []]) {
    for (const action of list) {
      const [kind] = Object.keys(action);
      const body = action[kind];
      if (kind === "send") {
        if (!body.variants || !body.variants.length) delete body.variants;
        if (!body.holdout) delete body.holdout;
      }
      if (kind === "route" && !body.reason) delete body.reason;
      if (kind === "offer" && (body.value === "" || body.value === undefined)) delete body.value;
    }
  }
  return out;
}

const toLocal = (iso) => (iso ? iso.replace(/(:\d\d)?(\.\d+)?Z$/, "").slice(0, 16) : "");
const toIso = (local) => (local ? `${local.length === 16 ? `${local}:00` : local}Z` : undefined);

function parseValue(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function render(view, ctx, id) {
  const session = ctx.session;
  const [catalogue, contentList, stored] = await Promise.all([
    get("/admin/events").catch(() => ({ events: [], profile_attributes: [] })),
    get("/admin/contents").catch(() => ({ items: [] })),
    id ? get(`/admin/rules/${encodeURIComponent(id)}`) : null,
  ]);
  if (!ctx.alive()) return;
  let doc = stored
    ? documentOf(stored)
    : { id: "", name: "", on: "", priority: 0, when: "", then: [blankAction("send")], category: "marketing" };
  const editable = session.may.edit && (!stored || stored.entity_state !== "archived");
  const contentIds = datalist(contentList.items.map((i) => i.id));
  const eventNames = datalist(catalogue.events.map((e) => e.name));

  const form = h("form", { novalidate: true, onsubmit: (e) => (e.preventDefault(), save()) });
  const problems = h("div", { class: "card", hidden: true });
  const yamlView = h("pre", { class: "card" });
  const jsonView = h("textarea", { class: "code tall", spellcheck: "false" });
  const jsonError = h("p", { class: "field-error", role: "alert" });
  const panels = {
    Form: h("div", {}, form),
    YAML: h("div", { hidden: true }, h("p", { class: "hint", text: "The rule as YAML (as in rules/ under git), read-only." }), yamlView),
    JSON: h(
      "div",
      { hidden: true },
      field("The rule as JSON", jsonView, "Edit and apply: the form takes the document as it is."),
      jsonError,
      h("button", { type: "button", text: "Apply to the form", onclick: applyJson }),
    ),
  };
  function showTab(name) {
    for (const [key, panel] of Object.entries(panels)) panel.hidden = key !== name;
    yamlView.textContent = toYaml(cleaned(doc));
    jsonView.value = JSON.stringify(cleaned(doc), null, 2);
  }
  function applyJson() {
    try {
      const parsed = JSON.parse(jsonView.value);
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("the rule must be a JSON object");
      doc = { then: [], ...parsed };
      jsonError.textContent = "";
      drawForm();
      validate();
      notify("Applied to the form");
    } catch (error) {
      jsonError.textContent = `Not applied: ${error.message}`;
    }
  }

  // ---------------------------------------------------------------- the form
  const input = (path, value, onchange, props = {}) => {
    const el = h("input", { value: value ?? "", dataset: { path }, disabled: !editable, ...props });
    el.addEventListener("input", () => {
      onchange(el.value);
      changed();
    });
    return el;
  };

  let condition; // the textarea, kept across redraws of the rest
  const conditionProblems = h("ul", { class: "problems", id: uid("problems") });
  const conditionState = h("p", { class: "valid", "aria-live": "polite" });
  const suggestions = h("div", { class: "suggestions", "aria-label": "Known fields" });

  function knownFields() {
    const own = catalogue.events.find((e) => e.name === doc.on);
    const eventFields = own ? own.fields : [...new Set(catalogue.events.flatMap((e) => e.fields))];
    return [
      ...eventFields.map((f) => `event.${f}`),
      ...catalogue.profile_attributes.map((a) => `customer.attributes.${a}`),
      ...PROFILE_FIELDS.map((f) => `customer.${f}`),
      "now",
    ];
  }

  function suggest() {
    clear(suggestions);
    const before = condition.value.slice(0, condition.selectionStart);
    const word = (before.match(/[A-Za-z_][\w.]*$/) || [""])[0];
    const found = knownFields().filter((f) => f.startsWith(word) && f !== word).slice(0, 12);
    if (!found.length) return;
    suggestions.append(h("span", { class: "hint", text: word ? "Known fields:" : "Known fields for this event:" }));
    for (const name of found) {
      suggestions.append(
        h("button", {
          type: "button",
          class: "small",
          text: name,
          onclick: () => {
            const start = condition.selectionStart - word.length;
            condition.setRangeText(name, start, condition.selectionStart, "end");
            doc.when = condition.value;
            condition.focus();
            changed();
            suggest();
          },
        }),
      );
    }
  }

  function actionEditor(branch, list, index) {
    const action = list[index];
    const [kind] = Object.keys(action);
    const body = action[kind];
    const path = `${branch}[${index}].${kind}`;
    const kindSelect = select(KINDS, kind, (value) => {
      list[index] = blankAction(value);
      drawForm(`${branch}[${index}]`);
      changed();
    });
    kindSelect.disabled = !editable;
    const parts = [];
    const text = (key, label, props = {}) => field(label, input(`${path}.${key}`, body[key], (v) => (body[key] = v), props));
    if (kind === "send") {
      const channel = select(["email", "sms", "push"], body.channel, (v) => {
        body.channel = v;
        changed();
      });
      channel.dataset.path = `${path}.channel`;
      channel.disabled = !editable;
      const holdout = input(`${path}.holdout`, body.holdout ? Math.round(body.holdout * 1000) / 10 : "", (v) => (body.holdout = v === "" ? 0 : Number(v) / 100), {
        type: "number",
        min: "0",
        max: "99",
        step: "0.1",
      });
      parts.push(
        h(
          "div",
          { class: "row" },
          field("Channel", channel),
          text("content", "Content", { list: contentIds.id, required: true }),
          field("Holdout %", holdout, "customers kept out, to measure lift"),
        ),
      );
      const variants = body.variants || [];
      const rows = variants.map((variant, v) =>
        h(
          "div",
          { class: "row" },
          field(`Variant ${v + 1} content`, input(`${path}.variants[${v}].content`, variant.content, (x) => (variant.content = x), { list: contentIds.id })),
          field(`Variant ${v + 1} weight`, input(`${path}.variants[${v}].weight`, variant.weight, (x) => (variant.weight = Number(x)), { type: "number", min: "0", step: "any" })),
          editable
            ? h("button", {
                type: "button",
                class: "small narrow",
                text: `Remove variant ${v + 1}`,
                onclick: () => {
                  variants.splice(v, 1);
                  drawForm(`${branch}[${index}]`);
                  changed();
                },
              })
            : null,
        ),
      );
      parts.push(
        h(
          "fieldset",
          { dataset: { path: `${path}.variants` } },
          h("legend", { text: "Variants (A/B)" }),
          rows.length ? rows : h("p", { class: "hint", text: "One content for everyone. Add variants to split customers by weight." }),
          editable
            ? h("button", {
                type: "button",
                class: "small",
                text: "Add variant",
                onclick: () => {
                  body.variants = [...variants, { content: variants.length ? "" : body.content, weight: 1 }];
                  drawForm(`${branch}[${index}]`);
                  changed();
                },
              })
            : null,
        ),
      );
    } else if (kind === "offer") {
      parts.push(
        h(
          "div",
          { class: "row" },
          text("placement", "Placement"),
          text("content", "Content", { list: contentIds.id }),
          field("Value", input(`${path}.value`, body.value === undefined ? "" : JSON.stringify(body.value), (v) => (body.value = v === "" ? undefined : parseValue(v))), "a number, or any JSON"),
        ),
      );
    } else if (kind === "route") {
      const priority = select(["high", "normal", "low"], body.priority || "normal", (v) => {
        body.priority = v;
        changed();
      });
      priority.disabled = !editable;
      parts.push(h("div", { class: "row" }, text("queue", "Queue"), field("Priority", priority), text("reason", "Reason")));
    } else if (kind === "alert") {
      parts.push(h("div", { class: "row" }, text("topic", "Topic"), text("message", "Message")));
    } else if (kind === "update_profile") {
      const entries = Object.entries(body.set || {});
      const write = () => {
        body.set = Object.fromEntries(entries);
        changed();
      };
      entries.forEach((entry, e) => {
        parts.push(
          h(
            "div",
            { class: "row" },
            field(`Attribute ${e + 1}`, input(`${path}.set`, entry[0], (v) => ((entry[0] = v), write()))),
            field(`Value ${e + 1}`, input(`${path}.set.${entry[0]}`, typeof entry[1] === "string" ? entry[1] : JSON.stringify(entry[1]), (v) => ((entry[1] = parseValue(v)), write())), "text, or JSON (a number, true …)"),
          ),
        );
      });
      if (editable)
        parts.push(
          h("button", {
            type: "button",
            class: "small",
            text: "Add attribute",
            onclick: () => {
              body.set = { ...body.set, [`attribute_${entries.length + 1}`]: "" };
              drawForm(`${branch}[${index}]`);
              changed();
            },
          }),
        );
    }
    return h(
      "fieldset",
      { dataset: { path: `${branch}[${index}]`, action: kind } },
      h("legend", { text: `${branch === "then" ? "Then" : "Else"} action ${index + 1}` }),
      h(
        "div",
        { class: "row" },
        field("Kind", kindSelect),
        editable
          ? h("button", {
              type: "button",
              class: "small danger narrow",
              text: `Remove action ${index + 1}`,
              onclick: () => {
                list.splice(index, 1);
                drawForm(`${branch}-add`);
                changed();
              },
            })
          : null,
      ),
      parts,
    );
  }

  function branchEditor(branch) {
    const list = (doc[branch] ||= []);
    const add = select(KINDS, "send");
    add.setAttribute("aria-label", `Kind of the new ${branch} action`);
    return h(
      "fieldset",
      { dataset: { path: branch } },
      h("legend", { text: branch === "then" ? "Then (when the condition holds)" : "Else (when it doesn't)" }),
      list.map((_, i) => actionEditor(branch, list, i)),
      editable
        ? h(
            "div",
            { class: "toolbar" },
            add,
            h("button", {
              type: "button",
              class: "small",
              dataset: { focus: `${branch}-add` },
              text: `Add ${branch} action`,
              onclick: () => {
                list.push(blankAction(add.value));
                drawForm(`${branch}[${list.length - 1}]`);
                changed();
              },
            }),
          )
        : null,
    );
  }

  function drawForm(focusPath) {
    const active = (doc.active ||= {});
    const idInput = input("id", doc.id, (v) => (doc.id = v), { required: true, pattern: "[a-z0-9-]{1,64}", readonly: !!stored });
    const on = input("on", doc.on, (v) => (doc.on = v), { list: eventNames.id, required: true });
    on.addEventListener("change", suggest);
    const category = select(["marketing", "transactional"], doc.category || "marketing", (v) => {
      doc.category = v;
      changed();
    });
    category.dataset.path = "category";
    category.disabled = !editable;
    condition = h("textarea", {
      class: "code",
      spellcheck: "false",
      value: doc.when || "",
      dataset: { path: "when" },
      disabled: !editable,
      "aria-describedby": `${conditionProblems.id}`,
    });
    condition.addEventListener("input", () => {
      doc.when = condition.value;
      changed();
      suggest();
    });
    condition.addEventListener("click", suggest);
    condition.addEventListener("keyup", (e) => e.key.startsWith("Arrow") && suggest());
    fill(form, 
      h(
        "div",
        { class: "card" },
        h(
          "div",
          { class: "row" },
          field("ID", idInput, stored ? "fixed once created" : "lower-case letters, digits and -"),
          field("Name", input("name", doc.name, (v) => (doc.name = v), { required: true })),
        ),
        h(
          "div",
          { class: "row" },
          field("Event", on, "the event name the rule listens to"),
          field("Priority", input("priority", doc.priority ?? 0, (v) => (doc.priority = v === "" ? 0 : Number(v)), { type: "number", step: "1" }), "higher is considered first"),
          field("Category", category, "transactional skips caps and quiet hours"),
        ),
        h(
          "fieldset",
          { dataset: { path: "active" } },
          h("legend", { text: "Active window (UTC, optional)" }),
          h(
            "div",
            { class: "row" },
            field("From", input("active.from", toLocal(active.from), (v) => (active.from = toIso(v)), { type: "datetime-local" })),
            field("Until", input("active.until", toLocal(active.until), (v) => (active.until = toIso(v)), { type: "datetime-local" })),
          ),
        ),
        field("Condition", condition, "A ZEN expression over event, customer and now; empty: always."),
        conditionState,
        conditionProblems,
        suggestions,
      ),
      h("div", { class: "card" }, branchEditor("then"), branchEditor("else")),
      contentIds,
      eventNames,
    );
    if (focusPath) {
      const target = form.querySelector(`[data-focus="${focusPath}"]`) || form.querySelector(`[data-path="${focusPath}"] select, [data-path="${focusPath}"] input`);
      if (target) target.focus();
    }
    showMarks(lastReport);
  }

  // ---------------------------------------------------------------- validation as you type
  let lastReport = null;
  let asked = 0;
  const validate = debounce(async () => {
    const mine = ++asked;
    try {
      const report = await post("/admin/validate/rules", cleaned(doc));
      if (mine === asked && ctx.alive()) showMarks(report);
    } catch (error) {
      if (mine === asked) showMarks({ valid: false, errors: [{ code: error.code, message: error.message, field: error.field }], warnings: [] });
    }
  }, 250);
  function changed() {
    validate();
    if (!panels.Form.hidden) return;
    showTab(panels.YAML.hidden ? "JSON" : "YAML");
  }

  function marker(problem) {
    const lines = (doc.when || "").split("\n");
    const text = lines[(problem.line || 1) - 1] ?? "";
    const column = Math.max(1, problem.column || 1);
    return h(
      "div",
      { class: "marker", "aria-hidden": "true" },
      h("div", { text: text || " " }),
      h("div", {}, " ".repeat(column - 1), h("span", { class: "caret", text: "^" })),
    );
  }

  function goTo(problem) {
    const lines = (doc.when || "").split("\n");
    let index = 0;
    for (let i = 0; i < (problem.line || 1) - 1; i++) index += lines[i].length + 1;
    index += (problem.column || 1) - 1;
    condition.focus();
    condition.setSelectionRange(index, index + 1);
  }

  function showMarks(report) {
    lastReport = report;
    unmark(form);
    clear(conditionProblems);
    conditionState.textContent = "";
    const general = [];
    if (!report) return;
    const items = problemsOf(report);
    for (const problem of items) {
      if (problem.field === "when") {
        if (problem.level === "error") condition.setAttribute("aria-invalid", "true");
        conditionProblems.append(
          h(
            "li",
            { class: problem.level },
            h("strong", { text: problem.level === "error" ? "Error" : "Warning" }),
            `: ${problem.message}${where(problem)}`,
            problem.line ? [" ", h("button", { type: "button", class: "small", text: "Go to", onclick: () => goTo(problem) }), marker(problem)] : null,
          ),
        );
      } else if (!markField(form, problem)) general.push(problem);
    }
    if (doc.when && !items.some((p) => p.field === "when")) conditionState.textContent = "✓ The condition is valid.";
    clear(problems);
    problems.hidden = !general.length;
    if (general.length) {
      problems.append(
        h("h2", { text: "To fix before saving" }),
        h("ul", { class: "problems" }, general.map((p) => h("li", { class: p.level, text: `${p.field ? `${p.field}: ` : ""}${p.message}` }))),
      );
    }
  }

  // ---------------------------------------------------------------- saving
  async function save() {
    const body = cleaned(doc);
    try {
      const saved = stored
        ? await put(`/admin/rules/${encodeURIComponent(stored.id)}`, { ...body, expected_version: stored.latest_version })
        : await post("/admin/rules", body);
      notify(`Saved version ${saved.version} (draft)`);
      ctx.navigate(href("rule", saved.id));
    } catch (error) {
      if (error instanceof ApiError && error.status === 409)
        showMarks({ valid: false, errors: [{ message: `${error.message}`, field: null }], warnings: [] });
      else showMarks({ valid: false, errors: [{ message: error.message, field: error.field, line: error.line, column: error.column }], warnings: [] });
      notify(`Not saved: ${error.message}`, "bad");
    }
  }

  const reload = () => ctx.navigate(href("rule", stored.id));
  const heading = h("div", { class: "toolbar" }, h("h1", { text: stored ? stored.name : "New rule" }));
  if (stored) {
    append(heading, [
      stateBadge(stored),
      badge(`version ${stored.version} of ${stored.latest_version}`, "info"),
      stored.published_version ? badge(`live: v${stored.published_version}`, "live") : null,
    ]);
  }
  const toolbar = h(
    "div",
    { class: "toolbar" },
    editable ? h("button", { type: "button", class: "primary", text: stored ? "Save as new version" : "Create draft", onclick: save }) : null,
    stored ? h("a", { class: "button", href: `#/simulate?rule=${encodeURIComponent(stored.id)}&version=${stored.latest_version}`, text: "Simulate this draft" }) : null,
    stored ? h("a", { class: "button", href: href("rule", stored.id, "/versions"), text: "Versions and diff" }) : null,
    stored ? h("a", { class: "button", href: href("rule", stored.id, "/stats"), text: "Performance" }) : null,
  );
  fill(view, 
    heading,
    stored ? versionActions(session, "rule", stored, reload) : null,
    tabs(Object.keys(panels), showTab),
    ...Object.values(panels),
    problems,
    toolbar,
  );
  drawForm();
  if (stored || doc.when) validate();
}
