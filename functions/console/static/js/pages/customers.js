// A customer's timeline: what Herald derives of them (aggregates, activity, segments), recent
// decisions (each rule, matched or not, each action and why) and the messages that followed,
// with their status and reason.

import { ApiError, get } from "../api.js";
import { badge, field, h, when, fill } from "../dom.js";
import { traceView } from "./simulate.js";

export async function render(view, ctx) {
  const [id] = ctx.where.parts;
  const input = h("input", { value: id || "", placeholder: "a customer id, e.g. c-1", autocomplete: "off", required: true });
  const out = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { class: "row", onsubmit: (e) => (e.preventDefault(), input.value.trim() && ctx.navigate(`#/customers/${encodeURIComponent(input.value.trim())}`)) },
    field("Customer id", input),
    h("button", { type: "submit", class: "narrow primary", text: "Show timeline" }),
  );
  fill(view, h("h1", { text: id ? `Customer ${id}` : "Customers" }), form, out);
  if (!id) return;
  let items, profile;
  try {
    ({ items, profile } = await get(`/admin/customers/${encodeURIComponent(id)}/timeline?limit=100`));
  } catch (error) {
    if (error instanceof ApiError) return out.append(h("p", { class: "note bad", text: error.message }));
    throw error;
  }
  if (!ctx.alive()) return;
  if (profile) out.append(profileView(profile));
  if (!items.length) return out.append(h("p", { class: "empty", text: "Nothing decided or sent for this customer yet." }));
  out.append(
    h(
      "ol",
      { class: "timeline", "aria-label": "Timeline, newest first" },
      items.map((item) =>
        item.kind === "message"
          ? h(
              "li",
              { class: "message card", dataset: { message: item.message_id, status: item.status } },
              h("div", {}, badge(item.status, item.status), " ", h("strong", { text: `${item.channel} message` }), ` · ${item.content_id}@${item.content_version}`),
              h("div", { class: "muted", text: `rule ${item.rule_id} v${item.rule_version} · ${when(item.updated_at || item.created_at)}` }),
              item.reason ? h("div", { text: `why: ${item.reason}` }) : null,
            )
          : h("li", { class: "card", dataset: { trace: item.event_id } }, h("div", { class: "muted", text: when(item.decided_at) }), traceView(item)),
      ),
    ),
  );
}

// What rules read of the customer beyond their attributes: customer.aggregates.*, segments.
function profileView(profile) {
  const rows = Object.entries(profile.aggregates);
  const seen = (at) => (at ? when(at) : "never");
  return h(
    "section",
    { class: "card", "aria-label": "Profile", dataset: { profile: "" } },
    h("h2", { text: "Profile" }),
    h("p", { class: "muted", text: `first seen ${seen(profile.first_seen)} · last seen ${seen(profile.last_seen)}` }),
    h("p", { dataset: { segments: profile.segments.join(" ") }, text: `segments: ${profile.segments.length ? profile.segments.join(", ") : "none"}` }),
    rows.length
      ? h("dl", { class: "aggregates" }, ...rows.flatMap(([name, value]) => [h("dt", { text: name }), h("dd", { text: value === null ? "—" : String(value) })]))
      : h("p", { class: "muted", text: "No aggregates declared (the profile schema: rules/profile.yaml)." }),
  );
}
