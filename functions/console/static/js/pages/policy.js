// The contact policy: consent, quiet hours, caps. Everyone reads it; approvers change it.

import { ApiError, get, put } from "../api.js";
import { checkbox, confirmAction, field, h, notify, select, table, when, fill } from "../dom.js";

const CHANNELS = ["email", "sms", "push"];

export async function render(view, ctx) {
  const policy = await get("/admin/policy");
  if (!ctx.alive()) return;
  const editable = ctx.session.may.edit_policy;
  fill(view, 
    h("h1", { text: "Contact policy" }),
    h("p", { class: "muted", text: `Version ${policy.version}${policy.updated_by ? ` · changed by ${policy.updated_by} ${when(policy.updated_at)}` : " · the defaults"}` }),
    editable ? editor(policy, ctx) : summary(policy),
  );
}

function summary(policy) {
  const quiet = policy.quiet_hours;
  return h(
    "div",
    { class: "card" },
    h("p", { text: policy.consent_required ? "Consent is required per channel (customer.consent)." : "Consent is not required." }),
    h("p", { text: quiet ? `Quiet hours ${quiet.start}–${quiet.end} in the customer's time zone, for ${quiet.channels.join(", ")}: messages wait until the end.` : "No quiet hours." }),
    h("p", { text: `At most ${policy.max_messages_per_event} message(s) per event; default time zone ${policy.default_timezone}.` }),
    h("h2", { text: "Caps (marketing messages, across all rules)" }),
    policy.caps.length
      ? table(["Channel", "At most", "Per"], policy.caps.map((c) => h("tr", {}, h("td", { text: c.channel }), h("td", { class: "num", text: c.max }), h("td", { text: c.per }))))
      : h("p", { class: "empty", text: "No caps." }),
    h("p", { class: "hint", text: "Approvers change the contact policy." }),
  );
}

function editor(policy, ctx) {
  const doc = {
    consent_required: policy.consent_required,
    quiet_hours: policy.quiet_hours ? structuredClone(policy.quiet_hours) : null,
    caps: structuredClone(policy.caps),
    default_timezone: policy.default_timezone,
    max_messages_per_event: policy.max_messages_per_event,
  };
  const form = h("form", { class: "card", novalidate: true });
  const error = h("p", { class: "field-error", role: "alert" });
  function draw() {
    const quiet = doc.quiet_hours;
    const start = h("input", { type: "time", value: quiet ? quiet.start : "21:00", disabled: !quiet, oninput: () => (doc.quiet_hours.start = start.value) });
    const end = h("input", { type: "time", value: quiet ? quiet.end : "08:00", disabled: !quiet, oninput: () => (doc.quiet_hours.end = end.value) });
    const caps = doc.caps.map((cap, i) =>
      h(
        "div",
        { class: "row" },
        field(`Cap ${i + 1} channel`, select(["email", "sms", "push", "any"], cap.channel, (v) => (cap.channel = v))),
        field(`Cap ${i + 1} at most`, h("input", { type: "number", min: "0", max: "1000", value: cap.max, oninput: (e) => (cap.max = Number(e.target.value)) })),
        field(`Cap ${i + 1} per`, h("input", { value: cap.per, oninput: (e) => (cap.per = e.target.value) }), "P7D, P1D, PT12H"),
        h("button", { type: "button", class: "small danger narrow", text: `Remove cap ${i + 1}`, onclick: () => (doc.caps.splice(i, 1), draw()) }),
      ),
    );
    fill(form, 
      checkbox("Consent required (per channel)", doc.consent_required, (on) => (doc.consent_required = on)),
      h(
        "fieldset",
        {},
        h("legend", { text: "Quiet hours (customer's time zone)" }),
        checkbox("Quiet hours on", !!quiet, (on) => {
          doc.quiet_hours = on ? { start: "21:00", end: "08:00", channels: ["sms", "push"] } : null;
          draw();
        }),
        h("div", { class: "row" }, field("Start", start), field("End", end)),
        quiet
          ? h(
              "div",
              { class: "row" },
              CHANNELS.map((c) =>
                checkbox(`quiet for ${c}`, quiet.channels.includes(c), (on) => {
                  quiet.channels = on ? [...new Set([...quiet.channels, c])] : quiet.channels.filter((x) => x !== c);
                }),
              ),
            )
          : null,
      ),
      h(
        "fieldset",
        {},
        h("legend", { text: "Caps (marketing messages, across all rules)" }),
        caps,
        h("button", { type: "button", class: "small", text: "Add cap", onclick: () => (doc.caps.push({ channel: "email", max: 3, per: "P7D" }), draw()) }),
      ),
      h(
        "div",
        { class: "row" },
        field("Default time zone", h("input", { value: doc.default_timezone, oninput: (e) => (doc.default_timezone = e.target.value) }), "IANA, for customers without one"),
        field("Messages per event", h("input", { type: "number", min: "0", max: "10", value: doc.max_messages_per_event, oninput: (e) => (doc.max_messages_per_event = Number(e.target.value)) })),
      ),
      error,
      h("button", {
        type: "button",
        class: "primary",
        text: "Save the policy",
        onclick: async () => {
          if (!(await confirmAction("Change the contact policy", "Every rule follows the new policy from the next event on.", "Save"))) return;
          const body = { ...doc, expected_version: policy.version }; // quiet_hours null: none
          try {
            await put("/admin/policy", body);
            notify("The contact policy is saved");
            ctx.navigate("#/policy");
          } catch (e) {
            error.textContent = e instanceof ApiError ? `${e.field ? `${e.field}: ` : ""}${e.message}` : String(e);
          }
        },
      }),
    );
  }
  draw();
  return form;
}
