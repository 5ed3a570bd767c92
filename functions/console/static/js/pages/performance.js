// A rule's performance from GET /admin/rules/{id}/stats: per arm (variants and holdout) the
// counts, the rates with their 95% intervals, each variant against its baseline, day by day.

import { ApiError, get } from "../api.js";
import { intervalChart, lineChart, pct } from "../charts.js";
import { badge, field, h, select, table, fill } from "../dom.js";
import { href } from "../lifecycle.js";

const COUNTS = ["exposed", "sent", "delivered", "opened", "clicked", "converted", "revenue", "bounced", "complained", "unsubscribed", "failed"];
const RATES = ["delivery", "open", "click", "conversion", "unsubscribe", "complaint"];

const interval = (r) => (r && r.value !== undefined && r.value !== null ? `${pct(r.value)} (${pct(r.low)}–${pct(r.high)})` : "—");
const signed = (r, asPct) => {
  if (!r || r.value === null || r.value === undefined) return "—";
  const f = (v) => (asPct ? pct(v) : v.toFixed(3));
  return `${r.value > 0 ? "+" : ""}${f(r.value)} (${f(r.low)} to ${f(r.high)})`;
};

export async function render(view, ctx, id) {
  const q = ctx.where.query;
  const from = h("input", { type: "date", value: q.get("from") || "" });
  const to = h("input", { type: "date", value: q.get("to") || "" });
  const version = h("input", { type: "number", min: "1", value: q.get("version") || "" });
  const query = new URLSearchParams();
  for (const [key, el] of [["from", from], ["to", to], ["version", version]]) if (el.value) query.set(key, el.value);
  const heading = h("div", { class: "toolbar" }, h("h1", { text: `Performance: ${id}` }), h("a", { href: href("rule", id), text: "Open the rule" }));
  const filters = h(
    "form",
    {
      class: "row",
      onsubmit: (e) => {
        e.preventDefault();
        const next = new URLSearchParams();
        for (const [key, el] of [["from", from], ["to", to], ["version", version]]) if (el.value) next.set(key, el.value);
        ctx.navigate(`${href("rule", id, "/stats")}?${next}`);
      },
    },
    field("From", from),
    field("To", to),
    field("Version", version, "default: the live one"),
    h("button", { type: "submit", class: "narrow", text: "Apply" }),
  );
  let stats;
  try {
    stats = await get(`/admin/rules/${encodeURIComponent(id)}/stats${query.size ? `?${query}` : ""}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      fill(view, heading, h("p", { class: "note", dataset: { stats: "unavailable" }, text: `No stats: ${error.message}` }));
      return;
    }
    throw error;
  }
  if (!ctx.alive()) return;
  const arms = stats.arms || [];
  if (!arms.length) {
    fill(view,
      heading,
      filters,
      h("p", { class: "note", dataset: { stats: "empty" }, text: `No figures yet for version ${stats.version ?? "—"} from ${stats.from} to ${stats.to}: it has sent nothing in that time. Exposures, sends, opens, clicks and conversions appear here as they happen.` }),
    );
    return;
  }
  const rate = select(RATES, "conversion", drawRate);
  const rateChart = h("div", { class: "card" });
  function drawRate() {
    fill(rateChart, intervalChart(arms, rate.value, `${rate.value} rate by arm, with 95% intervals`));
  }
  const metric = select(["sent", "delivered", "opened", "clicked", "converted"], "converted", drawDays);
  const dayChart = h("div", { class: "card" });
  function drawDays() {
    const days = [...new Set((stats.days || []).map((d) => d.day))].sort();
    const names = arms.map((a) => a.arm);
    const series = names.map((name) => ({
      name,
      values: days.map((day) => {
        const row = (stats.days || []).find((d) => d.day === day && d.arm === name);
        return (row && row.counts && row.counts[metric.value]) || 0;
      }),
    }));
    fill(dayChart, 
      lineChart(days, series, `${metric.value} per day by arm`),
      h("div", { class: "legend" }, names.map((n, i) => h("span", { class: `key${i % 4}`, text: n }))),
    );
  }
  fill(view, 
    heading,
    h("p", { class: "muted", text: `version ${stats.version ?? "—"} · ${stats.from || "…"} to ${stats.to || "…"}` }),
    filters,
    stats.paused ? h("p", { class: "note bad", text: `Paused ${stats.paused.at ? `on ${stats.paused.at}` : ""} by ${stats.paused.by || "the guardrail"}: ${stats.paused.reason}` }) : null,
    stats.srm && stats.srm.mismatch
      ? h("p", { class: "note warn", text: `Sample ratio mismatch (p = ${stats.srm.p_value}): the arms didn't get the share their weights say. Read the comparisons with care.` })
      : null,
    h("h2", { text: "Rates" }),
    field("Rate", rate, undefined, "compact"),
    rateChart,
    table(
      ["Arm", "Weight", ...RATES],
      arms.map((a) => h("tr", { dataset: { arm: a.arm } }, h("th", { scope: "row", text: a.arm }), h("td", { class: "num", text: a.weight ?? "—" }), RATES.map((r) => h("td", { class: "num", text: interval((a.rates || {})[r]) })))),
    ),
    h("h2", { text: "Compared with the baseline" }),
    (stats.comparisons || []).length
      ? table(
          ["Arm", "Baseline", "Difference", "Lift", "p-value", "Verdict", ""],
          stats.comparisons.map((c) =>
            h(
              "tr",
              {},
              h("th", { scope: "row", text: c.arm }),
              h("td", { text: c.baseline }),
              h("td", { class: "num", text: signed(c.difference, true) }),
              h("td", { class: "num", text: signed(c.lift, true) }),
              h("td", { class: "num", text: c.p_value === null || c.p_value === undefined ? "—" : Number(c.p_value).toFixed(3) }),
              h("td", {}, badge(c.verdict, c.verdict)),
              h("td", { text: c.summary || "" }),
            ),
          ),
        )
      : h("p", { class: "empty", text: "Nothing to compare: one arm only." }),
    h("h2", { text: "Day by day" }),
    field("Figure", metric, undefined, "compact"),
    dayChart,
    h("h2", { text: "Counts" }),
    table(["Arm", ...COUNTS], arms.map((a) => h("tr", {}, h("th", { scope: "row", text: a.arm }), COUNTS.map((c) => h("td", { class: "num", text: (a.counts || {})[c] ?? 0 }))))),
  );
  drawRate();
  drawDays();
}
