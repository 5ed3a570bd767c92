// The audit log: who changed what, when, from which version to which; filtered by kind and id
// (the API) and by person and action (here).

import { get } from "../api.js";
import { field, h, select, table, when, fill } from "../dom.js";
import { href } from "../lifecycle.js";

export async function render(view, ctx) {
  const q = ctx.where.query;
  const entity = select([["", "every kind"], "rule", "content", "policy"], q.get("entity") || "");
  const id = h("input", { value: q.get("id") || "", placeholder: "an id", pattern: "[a-z0-9-]{1,64}" });
  const user = h("input", { placeholder: "who" });
  const action = select([["", "any action"], "create", "save", "submit", "publish", "rollback", "pause", "archive", "update"], "");
  const body = h("tbody");
  let entries = [];

  async function load() {
    const query = new URLSearchParams({ limit: "500" });
    if (entity.value) query.set("entity", entity.value);
    if (id.value.trim()) query.set("id", id.value.trim());
    entries = (await get(`/admin/audit?${query}`)).items;
    draw();
  }
  function draw() {
    const who = user.value.trim().toLowerCase();
    const shown = entries.filter((e) => (!who || e.user.toLowerCase().includes(who)) && (!action.value || e.action === action.value));
    fill(body, 
      ...shown.map((e) =>
        h(
          "tr",
          {},
          h("td", { text: when(e.at) }),
          h("td", { text: e.user }),
          h("td", { text: e.action }),
          h("td", {}, e.entity === "policy" ? h("a", { href: "#/policy", text: "contact policy" }) : h("a", { href: href(e.entity, e.id), text: `${e.entity} ${e.id}` })),
          h("td", { class: "num", text: e.from_version ?? "—" }),
          h("td", { class: "num", text: e.to_version ?? "—" }),
        ),
      ),
    );
    if (!shown.length) body.append(h("tr", {}, h("td", { colspan: "6", class: "empty", text: "No change matches." })));
  }
  const form = h(
    "form",
    { class: "row", onsubmit: (e) => (e.preventDefault(), load()) },
    field("Kind", entity),
    field("ID", id),
    field("Who", user),
    field("Action", action),
    h("button", { type: "submit", class: "narrow", text: "Apply" }),
  );
  user.addEventListener("input", draw);
  action.addEventListener("change", draw);
  entity.addEventListener("change", load);
  fill(view, h("h1", { text: "Audit log" }), form, table(["When", "Who", "Action", "What", "From", "To"], body));
  await load();
}
