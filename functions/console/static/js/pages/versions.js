// Versions of a rule or content: the history, a side-by-side diff of any two versions (computed
// here, from the versions' documents), the actions on each version, and the document's audit.

import { get } from "../api.js";
import { badge, field, h, select, table, when, fill } from "../dom.js";
import { sideBySide } from "../diff.js";
import { href, plural, versionActions } from "../lifecycle.js";
import { toYaml } from "../yaml.js";

const STANDING = new Set(["version", "state", "entity_state", "published_version", "latest_version", "live", "created_by", "created_at", "warnings", "submitted"]);

function documentText(version) {
  const doc = Object.fromEntries(Object.entries(version).filter(([k]) => !STANDING.has(k)));
  return toYaml(doc);
}

export function diffTable(left, right) {
  const rows = sideBySide(documentText(left), documentText(right));
  const changes = rows.filter((r) => r.kind !== "same").length;
  return h(
    "div",
    {},
    h("p", { class: "hint", dataset: { changes: String(changes) }, text: changes ? `${changes} line${changes === 1 ? "" : "s"} differ` : "The two versions are identical." }),
    h(
      "table",
      { class: "diff" },
      h("caption", { class: "muted", text: `Version ${left.version} (left) and version ${right.version} (right)` }),
      h(
        "thead",
        {},
        h("tr", {}, h("th", { scope: "col", class: "ln", text: "#" }), h("th", { scope: "col", text: `v${left.version} · ${left.created_by}` }), h("th", { scope: "col", class: "ln", text: "#" }), h("th", { scope: "col", text: `v${right.version} · ${right.created_by}` })),
      ),
      h(
        "tbody",
        {},
        rows.map((r) =>
          h(
            "tr",
            { class: r.kind },
            h("td", { class: "ln", text: r.oldNo ?? "" }),
            h("td", { class: "old", text: r.old ?? "" }),
            h("td", { class: "ln", text: r.newNo ?? "" }),
            h("td", { class: "new", text: r.new ?? "" }),
          ),
        ),
      ),
    ),
  );
}

export async function render(view, ctx, kind, id) {
  const path = `/admin/${plural(kind)}/${encodeURIComponent(id)}`;
  const [{ items }, audit] = await Promise.all([get(`${path}/versions`), get(`/admin/audit?entity=${kind}&id=${encodeURIComponent(id)}`)]);
  if (!ctx.alive()) return;
  const byNumber = new Map(items.map((v) => [v.version, v]));
  const latest = items[0];
  const numbers = items.map((v) => [String(v.version), `version ${v.version} (${v.state})`]);
  const q = ctx.where.query;
  const defaultRight = q.get("right") || String(latest.submitted ? latest.submitted.version : latest.version);
  const defaultLeft =
    q.get("left") || String(latest.published_version && String(latest.published_version) !== defaultRight ? latest.published_version : items[1] ? items[1].version : latest.version);
  const leftSelect = select(numbers, defaultLeft, draw);
  const rightSelect = select(numbers, defaultRight, draw);
  const diffOut = h("div", { class: "card" });
  function draw() {
    const left = byNumber.get(Number(leftSelect.value));
    const right = byNumber.get(Number(rightSelect.value));
    fill(diffOut, diffTable(left, right));
  }
  const reload = () => ctx.navigate(`${href(kind, id, "/versions")}?left=${leftSelect.value}&right=${rightSelect.value}`);
  const history = items.map((v) =>
    h(
      "tr",
      { dataset: { version: String(v.version) } },
      h("td", { class: "num", text: v.version }),
      h("td", {}, badge(v.state, v.state), v.submitted && v.submitted.version === v.version ? [" ", badge("submitted", "info")] : null),
      h("td", { text: v.created_by }),
      h("td", { text: when(v.created_at) }),
      h("td", {}, versionActions(ctx.session, kind, v, reload, { rollbackTarget: true })),
    ),
  );
  fill(view, 
    h("div", { class: "toolbar" }, h("h1", { text: `${latest.name || id}: versions` }), h("a", { href: href(kind, id), text: `Open the ${kind}` })),
    h("h2", { text: "History" }),
    table(["Version", "State", "Written by", "When", "Actions"], history),
    h("h2", { text: "Compare" }),
    h("div", { class: "row" }, field("Left", leftSelect), field("Right", rightSelect)),
    diffOut,
    h("h2", { text: "Audit" }),
    table(
      ["When", "Who", "What", "From", "To"],
      audit.items.map((e) => h("tr", {}, h("td", { text: when(e.at) }), h("td", { text: e.user }), h("td", { text: e.action }), h("td", { text: e.from_version ?? "—" }), h("td", { text: e.to_version ?? "—" }))),
    ),
  );
  draw();
}
