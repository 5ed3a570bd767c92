// The approvals queue: versions waiting for an approver, oldest first. An approver reviews the
// diff and publishes; where they may not (the two-person rule), the page says why.

import { get } from "../api.js";
import { badge, h, table, when, fill } from "../dom.js";
import { href, versionActions } from "../lifecycle.js";

export async function render(view, ctx) {
  const { items } = await get("/admin/approvals");
  if (!ctx.alive()) return;
  const session = ctx.session;
  const reload = () => ctx.navigate("#/approvals");
  const rows = items.map((item) => {
    const left = item.published_version || Math.max(1, item.version - 1); // what goes live against what is
    const compare = `?left=${left}&right=${item.version}`;
    const actions = h("div", {}, h("a", { class: "button", href: `${href(item.kind, item.id, "/versions")}${compare}`, text: "Review the diff" }));
    if (session.may.publish) {
      if (item.blocked) actions.append(h("p", { class: "blocked", text: item.blocked }));
      else {
        // the queue item carries what the version actions need to know about the version
        const version = { ...item, created_by: item.created_by, submitted: null, live: false };
        actions.append(versionActions({ ...session, may: { ...session.may, edit: false } }, item.kind, version, reload));
      }
    }
    return h(
      "tr",
      { dataset: { approval: `${item.kind}:${item.id}` } },
      h("td", {}, badge(item.kind, "info")),
      h("td", {}, h("a", { href: href(item.kind, item.id), text: item.name || item.id }), h("div", { class: "muted", text: item.id })),
      h("td", { class: "num", text: item.version }),
      h("td", {}, badge(item.state, item.state), item.published_version ? h("div", { class: "muted", text: `live: v${item.published_version}` }) : null),
      h("td", { text: item.created_by }),
      h("td", {}, item.submitted_by, h("div", { class: "muted", text: when(item.submitted_at) })),
      h("td", {}, actions),
    );
  });
  fill(view, 
    h("h1", { text: "Approvals" }),
    h("p", {
      class: "hint",
      text: session.may.publish
        ? "Versions marketers submitted. Review the diff, then publish (a version you wrote needs another approver)."
        : "Versions waiting for an approver. Approvers publish them.",
    }),
    items.length ? table(["Kind", "Name", "Version", "State", "Written by", "Submitted", ""], rows) : h("p", { class: "empty", text: "Nothing waits for approval." }),
  );
}
