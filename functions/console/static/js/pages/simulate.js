// Simulate a draft against a customer and an event: the real engine's trace, drawn — the event,
// each rule (matched or not, the branch), each action and why it was queued, suppressed,
// capped or deferred. Nothing is written or sent.

import { ApiError, get, post } from "../api.js";
import { badge, field, h, select, fill } from "../dom.js";
import { href } from "../lifecycle.js";

const OUTCOME_KIND = { queued: "sent", run: "sent", offered: "sent", holdout: "info", not_chosen: "superseded" };

/** A decision trace as a small diagram: the event, then a card per rule with its actions. */
export function traceView(trace) {
  const actionsOf = (rule) => trace.actions.filter((a) => a.rule_id === rule.rule_id);
  return h(
    "div",
    { class: "trace", dataset: { traceEvent: trace.event_name } },
    h("div", { class: "card event" }, h("strong", { text: `Event ${trace.event_name}` }), h("span", { class: "muted", text: ` · customer ${trace.customer_id} · ${trace.rules.length} rule(s) considered` })),
    h(
      "div",
      { class: "trace-rules" },
      trace.rules.map((rule) => {
        const state = rule.skipped || rule.error ? "unmatched" : rule.matched ? "matched" : "unmatched";
        const verdict = rule.error
          ? badge(rule.code || "error", rule.code || "error")
          : rule.skipped
            ? badge("skipped", "superseded")
            : badge(rule.matched ? "matched" : "not matched", rule.matched ? "matched" : "unmatched");
        const actions = actionsOf(rule);
        return h(
          "section",
          { class: `trace-rule ${state}`, dataset: { rule: rule.rule_id }, "aria-label": `rule ${rule.rule_id}` },
          h("h3", {}, h("a", { href: href("rule", rule.rule_id), text: rule.rule_id }), ` v${rule.version} `, verdict),
          h("div", { class: "muted", text: `priority ${rule.priority}` }),
          rule.skipped ? h("p", { class: "trace-reason", text: rule.skipped }) : null,
          rule.error ? h("p", { class: "trace-reason", text: rule.error }) : null,
          rule.branch ? h("p", { class: "trace-branch", text: `→ ${rule.branch} branch` }) : null,
          actions.length
            ? h(
                "ul",
                { class: "trace-actions" },
                actions.map((a) =>
                  h(
                    "li",
                    { dataset: { outcome: a.outcome, kind: a.kind } },
                    h("strong", { text: a.kind }),
                    " ",
                    [a.channel, a.content, a.placement].filter(Boolean).join(" · "),
                    " ",
                    badge(a.outcome, OUTCOME_KIND[a.outcome] || a.outcome),
                    a.reason ? h("span", { class: "trace-reason", text: `why: ${a.reason}` }) : null,
                    a.send_at ? h("span", { class: "trace-reason", text: `sends at ${a.send_at}` }) : null,
                  ),
                ),
              )
            : null,
        );
      }),
    ),
    trace.rules.length ? null : h("p", { class: "empty", text: "No live or simulated rule listens to this event." }),
  );
}

function parseJson(text, what) {
  try {
    const value = JSON.parse(text || "{}");
    if (!value || typeof value !== "object" || Array.isArray(value)) throw new Error("not an object");
    return value;
  } catch (error) {
    throw new Error(`${what}: ${error.message}`);
  }
}

export async function render(view, ctx) {
  const q = ctx.where.query;
  const { items } = await get("/admin/rules");
  if (!ctx.alive()) return;
  const ruleSelect = select([["", "only the live rules"], ...items.map((r) => [r.id, r.id])], q.get("rule") || "");
  const version = h("input", { type: "number", min: "1", value: q.get("version") || "" });
  const customer = h("input", { value: q.get("customer") || "", placeholder: "a customer id, e.g. c-1", autocomplete: "off", required: true });
  const profile = h("textarea", { class: "code", spellcheck: "false", placeholder: '{"email": "a@example.com", "consent": {"email": true}, "attributes": {"tier": "gold"}}' });
  const eventName = h("input", { value: q.get("event") || "", placeholder: "cart.abandoned", required: true });
  const data = h("textarea", { class: "code", spellcheck: "false", value: "{}" });
  const now = h("input", { type: "datetime-local" });
  const out = h("div", { "aria-live": "polite" });

  async function chosenRule() {
    if (!ruleSelect.value) return null;
    const latest = await get(`/admin/rules/${encodeURIComponent(ruleSelect.value)}`);
    const wanted = Number(version.value || latest.latest_version);
    if (wanted === latest.version) return latest;
    const { items: all } = await get(`/admin/rules/${encodeURIComponent(ruleSelect.value)}/versions`);
    return all.find((v) => v.version === wanted) || latest;
  }

  ruleSelect.addEventListener("change", async () => {
    version.value = "";
    const rule = await chosenRule();
    if (rule && !eventName.value) eventName.value = rule.on;
  });

  async function run() {
    fill(out, h("p", { class: "loading", text: "Deciding…" }));
    try {
      const rule = await chosenRule();
      const body = {
        event: { type: eventName.value.trim() || (rule && rule.on), customer_id: customer.value.trim(), data: parseJson(data.value, "Event fields") },
        rules: {},
        contents: {},
      };
      if (profile.value.trim()) body.customer = { customer_id: customer.value.trim(), ...parseJson(profile.value, "Profile") };
      if (now.value) body.now = `${now.value}:00Z`;
      if (rule) {
        body.rules[rule.id] = rule.version;
        // the rule's contents as drafted: their latest versions
        const refs = new Set();
        for (const action of [...(rule.then || []), ...(rule.else || [])]) {
          const [kind] = Object.keys(action);
          const a = action[kind];
          for (const ref of [a.content, ...((a.variants || []).map((v) => v.content))]) if (ref && !ref.includes("@")) refs.add(ref);
        }
        for (const id of refs) {
          try {
            body.contents[id] = (await get(`/admin/contents/${encodeURIComponent(id)}`)).latest_version;
          } catch {
            // an unknown content: the trace says so
          }
        }
      }
      const result = await post("/admin/simulate", body);
      if (!ctx.alive()) return;
      fill(out, 
        h("h2", { text: "Trace" }),
        result.customer_known ? null : h("p", { class: "note warn", text: "No such customer is stored: simulated with an empty profile unless you gave one." }),
        traceView(result.trace),
        h("h2", { text: "Messages" }),
        result.messages.length
          ? h(
              "ul",
              {},
              result.messages.map((m) =>
                h("li", { dataset: { status: m.status } }, badge(m.status, OUTCOME_KIND[m.status] || m.status), ` ${m.channel} · ${m.content} · rule ${m.rule_id} v${m.rule_version}`, m.reason ? ` — ${m.reason}` : ""),
              ),
            )
          : h("p", { class: "empty", text: "No message would go out." }),
        result.offers.length ? [h("h2", { text: "Offers" }), h("ul", {}, result.offers.map((o) => h("li", { text: `${o.placement}: ${o.content} (rule ${o.rule_id})` })))] : null,
        h("p", { class: "hint", text: "Simulated: nothing was written or sent." }),
      );
    } catch (error) {
      fill(out, h("p", { class: "note bad", role: "alert", text: error instanceof ApiError && error.field ? `${error.field}: ${error.message}` : error.message }));
    }
  }

  fill(view, 
    h("h1", { text: "Simulate" }),
    h("p", { class: "hint", text: "Run the engine on an event for a customer, with a draft version in place of the live one. Nothing is sent." }),
    h(
      "form",
      { class: "card", onsubmit: (e) => (e.preventDefault(), run()) },
      h("div", { class: "row" }, field("Rule", ruleSelect, "the version to try (default: its latest)"), field("Version", version)),
      h("div", { class: "row" }, field("Customer id", customer, "a stored customer, or give a profile below"), field("Event name", eventName)),
      h("div", { class: "row" }, field("Event fields (JSON)", data, "what the rule reads as event.…"), field("Profile (JSON, optional)", profile, "instead of the stored one")),
      h("div", { class: "row" }, field("Decision time (UTC, optional)", now, "for quiet hours and active windows")),
      h("button", { type: "submit", class: "primary", text: "Run simulation" }),
    ),
    out,
  );
  if (ruleSelect.value && !eventName.value) {
    const rule = await chosenRule();
    if (rule) eventName.value = rule.on;
  }
}
