// The console: sign-in, the frame (navigation, who is signed in) and the routes (#/rules, …).

import { get, whenUnauthorized } from "./api.js";
import * as auth from "./auth.js";
import { checkbox, clear, field, h, notify, fill } from "./dom.js";

const PAGES = {
  rules: () => import("./pages/rules.js"),
  contents: () => import("./pages/contents.js"),
  simulate: () => import("./pages/simulate.js"),
  approvals: () => import("./pages/approvals.js"),
  customers: () => import("./pages/customers.js"),
  policy: () => import("./pages/policy.js"),
  audit: () => import("./pages/audit.js"),
};
const NAV = [
  ["rules", "Rules"],
  ["contents", "Content"],
  ["simulate", "Simulate"],
  ["approvals", "Approvals"],
  ["customers", "Customers"],
  ["policy", "Contact policy"],
  ["audit", "Audit log"],
];

const main = document.getElementById("main");
let config = null;
let session = null; // GET /admin/me: {user, groups, may, two_person_rule}
let generation = 0; // a page still loading when the route changes must not draw over the next

// Tests and the bench wait on these: the page that has finished drawing, and for which route.
function ready(what) {
  performance.mark(`console-ready-${what}`);
  document.documentElement.dataset.route = location.hash;
  document.documentElement.dataset.ready = what;
}

function failed(message) {
  fill(main, h("h1", { text: "The console can't start" }), h("p", { class: "note bad", text: message }));
  ready("error");
}

async function boot() {
  try {
    const response = await fetch("config.json", { cache: "no-store", credentials: "omit" });
    const body = await response.json();
    if (!response.ok) return failed((body.error && body.error.message) || "no sign-in configuration");
    config = body;
  } catch {
    return failed("the console could not read its configuration: is the API up?");
  }
  if (config.auth === "cognito" && location.pathname.endsWith("/callback")) {
    try {
      await auth.completeCognito(config);
    } catch (error) {
      return signInPage(error.message);
    }
  }
  whenUnauthorized(() => {
    auth.forget();
    signInPage("Your session has ended: sign in again.");
  });
  if (!auth.token()) return signInPage();
  try {
    session = await get("/admin/me");
  } catch (error) {
    auth.forget();
    return signInPage(error.message);
  }
  frame();
  window.addEventListener("hashchange", route);
  await route();
}

// ------------------------------------------------------------------ sign-in

function signInPage(problem) {
  clear(document.getElementById("nav"));
  clear(document.getElementById("who"));
  const card = h("div", { class: "card signin" }, h("h1", { text: "Sign in to Herald" }));
  if (problem) card.append(h("p", { class: "note bad", role: "alert", text: problem }));
  if (config.auth === "cognito") {
    card.append(
      h("p", { text: "You sign in with your Herald account (and your authenticator app)." }),
      h("button", { class: "primary", type: "button", text: "Sign in", onclick: () => auth.signInWithCognito(config) }),
    );
  } else {
    const user = h("input", { name: "user", autocomplete: "username", required: true, value: "maria" });
    const groups = new Set(["marketers"]);
    const error = h("p", { class: "field-error", role: "alert" });
    const form = h(
      "form",
      {
        onsubmit: (event) => {
          event.preventDefault();
          const made = auth.signInLocally(user.value.trim(), auth.LOCAL_GROUPS.filter((g) => groups.has(g)));
          if (made.error) {
            error.textContent = made.error;
            return;
          }
          location.hash = location.hash || "#/rules";
          location.reload();
        },
      },
      h("p", { class: "muted", text: "Local sign-in (herald local serve): pick a user name and groups. Marketers edit drafts; approvers publish and roll back." }),
      field("User name", user),
      h(
        "fieldset",
        {},
        h("legend", { text: "Groups" }),
        auth.LOCAL_GROUPS.map((g) => checkbox(g, groups.has(g), (on) => (on ? groups.add(g) : groups.delete(g)))),
      ),
      error,
      h("button", { class: "primary", type: "submit", text: "Sign in" }),
    );
    card.append(form);
  }
  fill(main, card);
  ready("sign-in");
}

// ------------------------------------------------------------------ frame and routes

function frame() {
  const nav = clear(document.getElementById("nav"));
  for (const [name, label] of NAV) nav.append(h("a", { href: `#/${name}`, dataset: { page: name }, text: label }));
  const who = clear(document.getElementById("who"));
  who.append(
    h("span", { text: `${session.user} · ${session.groups.join(", ") || "no group"}` }),
    h("button", { type: "button", class: "small", text: "Sign out", onclick: () => auth.signOut(config) }),
  );
}

function parse() {
  const [path, query = ""] = (location.hash.replace(/^#\/?/, "") || "rules").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  return { page: parts[0] || "rules", parts: parts.slice(1), query: new URLSearchParams(query) };
}

export function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

async function route() {
  const mine = ++generation;
  delete document.documentElement.dataset.ready;
  const where = parse();
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.dataset.page === where.page) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const load = PAGES[where.page];
  if (!load) {
    fill(main, h("h1", { text: "Not found" }), h("p", {}, h("a", { href: "#/rules", text: "Back to the rules" })));
    return;
  }
  const view = h("div", {}, h("p", { class: "loading", text: "Loading…" }));
  fill(main, view);
  const ctx = {
    session,
    config,
    where,
    navigate,
    alive: () => mine === generation,
  };
  try {
    const page = await load();
    await page.render(view, ctx);
  } catch (error) {
    if (mine !== generation) return;
    fill(view, h("p", { class: "note bad", role: "alert", text: error.message || String(error) }));
  }
  if (mine !== generation) return;
  document.title = `${(view.querySelector("h1") || {}).textContent || "Herald"} · Herald console`;
  if (document.activeElement === document.body || !main.contains(document.activeElement)) main.focus({ preventScroll: true });
  ready(where.page);
}

window.addEventListener("unhandledrejection", (event) => notify(event.reason?.message || String(event.reason), "bad"));
boot();
