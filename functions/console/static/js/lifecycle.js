// What can be done to a version (submit, publish, pause, roll back), each with a confirmation,
// and only what the signed-in user may do: a marketer sees no publish button that would 403.

import { ApiError, post } from "./api.js";
import { badge, confirmAction, h, notify } from "./dom.js";

export const plural = (kind) => `${kind}s`;
export const href = (kind, id, tail = "") => `#/${plural(kind)}/${encodeURIComponent(id)}${tail}`;

/** Why this user may not make `version` live, or null (the API says the same on a 403). */
export function publishBlocked(session, kind, version) {
  if (!session.may.publish) return null; // no button at all for them
  if (session.two_person_rule && version.created_by === session.user) {
    return `Two-person rule: you wrote version ${version.version}; another approver must publish it.`;
  }
  return null;
}

export function stateBadge(view) {
  return badge(view.state, view.state);
}

async function act(label, path, body, done) {
  try {
    const answer = await post(path, body);
    notify(label);
    await done(answer);
  } catch (error) {
    notify(error instanceof ApiError ? error.message : String(error), "bad");
  }
}

/** Buttons for one version: submit (editors), publish / pause / roll back (approvers). */
export function versionActions(session, kind, view, done, { rollbackTarget = false } = {}) {
  const base = `/admin/${plural(kind)}/${encodeURIComponent(view.id)}`;
  const what = `${kind} ${view.id}`;
  const bar = h("div", { class: "toolbar" });
  const archived = view.entity_state === "archived";
  const isSubmitted = view.submitted && view.submitted.version === view.version;
  if (session.may.edit && !archived && view.state !== "live") {
    if (isSubmitted) bar.append(badge(`submitted by ${view.submitted.by}`, "info"));
    else
      bar.append(
        h("button", {
          type: "button",
          text: "Submit for approval",
          onclick: async () => {
            if (await confirmAction("Submit for approval", `Ask an approver to publish version ${view.version} of ${what}?`, "Submit"))
              await act(`Version ${view.version} submitted for approval`, `${base}/submit`, { version: view.version }, done);
          },
        }),
      );
  }
  if (!session.may.publish || archived) return bar;
  const blocked = publishBlocked(session, kind, view);
  const older = view.published_version && view.version < view.published_version;
  if (view.state !== "live" && !(rollbackTarget && older)) {
    if (blocked) bar.append(h("span", { class: "blocked", text: blocked }));
    else
      bar.append(
        h("button", {
          type: "button",
          class: "primary",
          text: view.state === "paused" ? "Resume (publish)" : "Publish",
          onclick: async () => {
            if (await confirmAction(`Publish ${what}`, `Make version ${view.version} live? The next event uses it within seconds.`, "Publish"))
              await act(`Version ${view.version} is live`, `${base}/publish`, { version: view.version }, done);
          },
        }),
      );
  }
  if (rollbackTarget && older && view.state !== "live") {
    if (blocked) bar.append(h("span", { class: "blocked", text: blocked.replace("publish", "roll back to") }));
    else
      bar.append(
        h("button", {
          type: "button",
          class: "danger",
          text: `Roll back to ${view.version}`,
          onclick: async () => {
            if (await confirmAction(`Roll back ${what}`, `Make version ${view.version} live again instead of version ${view.published_version}?`, "Roll back", true))
              await act(`Rolled back to version ${view.version}`, `${base}/rollback`, { version: view.version }, done);
          },
        }),
      );
  }
  if (kind === "rule" && view.state === "live") {
    bar.append(
      h("button", {
        type: "button",
        class: "danger",
        text: "Pause",
        onclick: async () => {
          if (await confirmAction(`Pause ${what}`, "Stop matching this rule? Nothing of it runs until it is published again.", "Pause", true))
            await act(`${what} paused`, `${base}/pause`, {}, done);
        },
      }),
    );
  }
  return bar;
}
