// Rules: the list (filter, search, live version, last change, recent sends and conversions)
// and the routes under #/rules/<id>: the editor, versions, performance.

import { ApiError, each, get } from "../api.js";
import { sparkline } from "../charts.js";
import { badge, field, h, select, table, when, fill } from "../dom.js";
import { href } from "../lifecycle.js";

export async function render(view, ctx) {
  const [id, tail] = ctx.where.parts;
  if (id === "new" || (id && !tail)) return (await import("./rule.js")).render(view, ctx, id === "new" ? null : id);
  if (id && tail === "versions") return (await import("./versions.js")).render(view, ctx, "rule", id);
  if (id && tail === "stats") return (await import("./performance.js")).render(view, ctx, id);
  return list(view, ctx);
}

/** Recent sends and conversions per day from the stats API; null when it isn't there. */
export async function recentFigures(id) {
  const stats = await get(`/admin/rules/${encodeURIComponent(id)}/stats`);
  const byDay = new Map();
  for (const row of stats.days || []) {
    const day = byDay.get(row.day) || { sent: 0, converted: 0 };
    day.sent += (row.counts && row.counts.sent) || 0;
    day.converted += (row.counts && row.counts.converted) || 0;
    byDay.set(row.day, day);
  }
  const days = [...byDay.keys()].sort().slice(-14);
  return {
    sends: days.map((d) => byDay.get(d).sent),
    conversions: days.map((d) => byDay.get(d).converted),
  };
}

async function list(view, ctx) {
  const { items } = await get("/admin/rules");
  // the list answers heads; each rule's latest version carries its name and event
  const details = await each(items, 8, (item) => get(`/admin/rules/${encodeURIComponent(item.id)}`));
  if (!ctx.alive()) return;
  const rules = items.map((item, i) => ({ ...item, doc: details[i] instanceof Error ? {} : details[i] }));
  const events = [...new Set(rules.map((r) => r.doc.on).filter(Boolean))].sort();

  const search = h("input", { type: "search", placeholder: "name, id or event" });
  const state = select([["", "any status"], "draft", "live", "paused", "archived"], "");
  const event = select([["", "any event"], ...events], "");
  const body = h("tbody");
  const figures = new Map(); // id -> sparkline cell
  let statsNote = h("p", { class: "hint" });

  function draw() {
    const q = search.value.trim().toLowerCase();
    const shown = rules.filter(
      (r) =>
        (!state.value || r.state === state.value) &&
        (!event.value || r.doc.on === event.value) &&
        (!q || [r.id, r.doc.name, r.doc.on].some((t) => (t || "").toLowerCase().includes(q))),
    );
    fill(body, 
      ...shown.map((r) =>
        h(
          "tr",
          { dataset: { rule: r.id } },
          h("td", {}, h("a", { href: href("rule", r.id), text: r.doc.name || r.id }), h("div", { class: "muted", text: r.id })),
          h("td", {}, h("code", { text: r.doc.on || "—" })),
          h(
            "td",
            {},
            badge(r.state, r.state),
            r.submitted ? [" ", badge(`v${r.submitted.version} awaiting approval`, "info")] : null,
          ),
          h("td", { class: "num", text: r.published_version ?? "—" }),
          h("td", {}, when(r.updated_at), h("div", { class: "muted", text: r.updated_by || "" })),
          figures.get(r.id) || h("td", { class: "muted", text: "…" }),
          h("td", {}, h("a", { href: href("rule", r.id, "/versions"), text: "Versions" }), " · ", h("a", { href: href("rule", r.id, "/stats"), text: "Performance" })),
        ),
      ),
    );
    if (!shown.length) body.append(h("tr", {}, h("td", { colspan: "7", class: "empty", text: rules.length ? "No rule matches these filters." : "No rules yet." })));
  }
  for (const control of [search, state, event]) control.addEventListener("input", draw);

  fill(view, 
    h("div", { class: "toolbar" }, h("h1", { text: "Rules" }), h("span", { class: "spacer" }), ctx.session.may.edit ? h("a", { class: "button primary", href: "#/rules/new", text: "New rule" }) : null),
    h("div", { class: "row" }, field("Search", search), field("Status", state), field("Event", event)),
    table(["Rule", "Event", "Status", "Live version", "Last change", "Sends · conversions (14 days)", ""], body),
    statsNote,
  );
  draw();

  // the small figures come from the stats API when it answers (404 until it exists)
  let available = true;
  for (const r of rules) {
    if (!available || !ctx.alive()) break;
    try {
      const f = await recentFigures(r.id);
      const label = `${f.sends.reduce((a, b) => a + b, 0)} sends, ${f.conversions.reduce((a, b) => a + b, 0)} conversions`;
      figures.set(r.id, h("td", {}, sparkline(f.sends, f.conversions, label), " ", h("span", { class: "muted", text: label })));
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        available = false;
        statsNote.textContent = "Sends and conversions appear here once the stats API is available.";
      }
      figures.set(r.id, h("td", { class: "muted", text: "—" }));
    }
  }
  for (const r of rules) if (!figures.has(r.id)) figures.set(r.id, h("td", { class: "muted", text: "—" }));
  if (ctx.alive()) draw();
}
