// What a validation (or a refused save) says, shown where it applies: each problem next to the
// control whose data-path is its field, that control marked invalid.

import { h } from "./dom.js";

/** A report's errors and warnings in one list, each with its level. */
export function problemsOf(report) {
  if (!report) return [];
  return [...report.errors.map((p) => ({ ...p, level: "error" })), ...report.warnings.map((p) => ({ ...p, level: "warning" }))];
}

export function where(problem) {
  if (!problem.line || problem.message.includes("line")) return "";
  return ` (line ${problem.line}${problem.column ? `, column ${problem.column}` : ""})`;
}

/** Forget the marks of the last report. */
export function unmark(form) {
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  for (const el of form.querySelectorAll(".field-error")) el.remove();
}

/** Mark the control of `problem.field` and say the problem under it; false if no control has it. */
export function markField(form, problem) {
  const target = problem.field && form.querySelector(`[data-path="${CSS.escape(problem.field)}"]`);
  if (!target) return false;
  if (problem.level === "error") target.setAttribute("aria-invalid", "true");
  const note = h("p", { class: "field-error", text: `${problem.level === "error" ? "" : "Warning: "}${problem.message}${where(problem)}` });
  (target.closest(".field") || target).append(note);
  return true;
}
