// Charts as inline SVG, drawn from the numbers (no chart library). Every chart has a title
// and a text description for screen readers; the tables beside them carry the same figures.

import { svg } from "./dom.js";

const pct = (v) => (v === null || v === undefined ? "—" : `${(v * 100).toFixed(v < 0.1 ? 2 : 1)}%`);
export { pct };

function frame(width, height, title, description) {
  const root = svg("svg", { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img" });
  const t = svg("title", {}, title);
  const d = svg("desc", {}, description);
  root.append(t, d);
  return root;
}

/** Horizontal bars: one per arm, its rate with the 95% interval as a whisker. */
export function intervalChart(arms, rate, title) {
  const rows = arms.map((arm) => ({ arm: arm.arm, r: (arm.rates || {})[rate] || {} }));
  const top = Math.max(0.0001, ...rows.map((x) => x.r.high ?? x.r.value ?? 0));
  const width = 640;
  const left = 150;
  const plot = width - left - 60;
  const row = 30;
  const height = rows.length * row + 30;
  const chart = frame(
    width,
    height,
    title,
    rows.map((x) => `${x.arm}: ${pct(x.r.value)} (95% ${pct(x.r.low)} to ${pct(x.r.high)})`).join("; "),
  );
  const scale = (v) => left + (Math.max(0, v || 0) / top) * plot;
  rows.forEach((x, i) => {
    const y = 10 + i * row;
    chart.append(
      svg("text", { x: left - 8, y: y + 15, "text-anchor": "end" }, x.arm),
      svg("rect", {
        class: `bar ${x.arm === "holdout" ? "holdout" : ""}`,
        x: left,
        y: y + 4,
        width: Math.max(1, scale(x.r.value) - left),
        height: row - 12,
      }),
    );
    if (x.r.low !== undefined && x.r.high !== undefined) {
      const cy = y + 4 + (row - 12) / 2;
      chart.append(
        svg("line", { class: "whisker", x1: scale(x.r.low), x2: scale(x.r.high), y1: cy, y2: cy }),
        svg("line", { class: "whisker", x1: scale(x.r.low), x2: scale(x.r.low), y1: cy - 5, y2: cy + 5 }),
        svg("line", { class: "whisker", x1: scale(x.r.high), x2: scale(x.r.high), y1: cy - 5, y2: cy + 5 }),
      );
    }
    chart.append(svg("text", { x: scale(x.r.high ?? x.r.value) + 6, y: y + 15 }, pct(x.r.value)));
  });
  chart.append(svg("line", { class: "axis", x1: left, x2: left, y1: 5, y2: height - 20 }));
  chart.append(svg("text", { x: left, y: height - 5 }, "0"), svg("text", { x: left + plot, y: height - 5, "text-anchor": "end" }, pct(top)));
  return chart;
}

/** Lines over days: series = [{name, values: [number per day]}], days = labels. */
export function lineChart(days, series, title) {
  const width = 640;
  const height = 220;
  const left = 44;
  const bottom = 26;
  const plotW = width - left - 12;
  const plotH = height - bottom - 12;
  const top = Math.max(1, ...series.flatMap((s) => s.values));
  const x = (i) => left + (days.length <= 1 ? plotW / 2 : (i / (days.length - 1)) * plotW);
  const y = (v) => 12 + plotH - (v / top) * plotH;
  const chart = frame(
    width,
    height,
    title,
    series.map((s) => `${s.name}: ${s.values.join(", ")}`).join("; ") + ` over ${days.join(", ")}`,
  );
  chart.append(
    svg("line", { class: "axis", x1: left, x2: left + plotW, y1: 12 + plotH, y2: 12 + plotH }),
    svg("line", { class: "axis", x1: left, x2: left, y1: 12, y2: 12 + plotH }),
    svg("text", { x: left - 6, y: 18, "text-anchor": "end" }, String(top)),
    svg("text", { x: left - 6, y: 12 + plotH, "text-anchor": "end" }, "0"),
  );
  if (days.length) {
    chart.append(svg("text", { x: left, y: height - 6 }, days[0]));
    if (days.length > 1) chart.append(svg("text", { x: left + plotW, y: height - 6, "text-anchor": "end" }, days[days.length - 1]));
  }
  series.forEach((s, k) => {
    const points = s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    chart.append(svg("polyline", { class: `line${k % 4}`, points }));
  });
  return chart;
}

/** A small figure for a list: sends and conversions per day. */
export function sparkline(sends, conversions, label) {
  const width = 112;
  const height = 26;
  const top = Math.max(1, ...sends, ...conversions);
  const line = (values) =>
    values.map((v, i) => `${((i / Math.max(1, values.length - 1)) * (width - 2) + 1).toFixed(1)},${(height - 2 - (v / top) * (height - 4)).toFixed(1)}`).join(" ");
  const root = svg("svg", { class: "spark", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label });
  root.append(svg("polyline", { class: "sends", points: line(sends) }), svg("polyline", { class: "conversions", points: line(conversions) }));
  return root;
}
