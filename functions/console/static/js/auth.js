// Signing in. The token lives in this tab only (sessionStorage; never localStorage, never a URL).
// Locally: a form makes the local bearer, local:<user>:<group>[,<group>].
// Deployed: Cognito's hosted UI, authorization code flow with PKCE (S256); the code is
// exchanged at the token endpoint and removed from the address bar at once.

const SESSION_KEY = "herald.session";
const PKCE_KEY = "herald.pkce";
const USER_PATTERN = /^[A-Za-z0-9._@+-]{1,128}$/;

let current = null; // {token, expires_at}

function load() {
  if (current) return current;
  try {
    current = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
  } catch {
    current = null;
  }
  if (current && current.expires_at && current.expires_at * 1000 < Date.now()) current = null;
  return current;
}

export function token() {
  const session = load();
  return session ? session.token : null;
}

function keep(session) {
  current = session;
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

export function forget() {
  current = null;
  sessionStorage.removeItem(SESSION_KEY);
  sessionStorage.removeItem(PKCE_KEY);
}

// ------------------------------------------------------------------ local

export const LOCAL_GROUPS = ["marketers", "approvers"];

/** The local bearer for a user name and groups; an error message when they can't make one. */
export function localToken(user, groups) {
  if (!USER_PATTERN.test(user)) return { error: "a user name is 1-128 letters, digits or . _ @ + -" };
  if (!groups.length) return { error: "choose at least one group" };
  return { token: `local:${user}:${groups.join(",")}` };
}

export function signInLocally(user, groups) {
  const made = localToken(user, groups);
  if (made.token) keep({ token: made.token, expires_at: null });
  return made;
}

// ------------------------------------------------------------------ Cognito (code + PKCE)

function base64url(bytes) {
  let text = "";
  for (const b of new Uint8Array(bytes)) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomText(size = 48) {
  return base64url(crypto.getRandomValues(new Uint8Array(size)));
}

export async function challenge(verifier) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(digest);
}

/** Go to the hosted UI (the page comes back to /console/callback with a code). */
export async function signInWithCognito(config) {
  const verifier = randomText();
  const state = randomText(16);
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state }));
  const query = new URLSearchParams({
    response_type: "code",
    client_id: config.client_id,
    redirect_uri: config.redirect_uri,
    scope: "openid email profile",
    state,
    code_challenge: await challenge(verifier),
    code_challenge_method: "S256",
  });
  location.assign(`https://${config.domain}/oauth2/authorize?${query}`);
}

function claims(jwt) {
  const part = jwt.split(".")[1] || "";
  const binary = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
}

/** On /console/callback: exchange the code for tokens; true when signed in. */
export async function completeCognito(config) {
  const params = new URLSearchParams(location.search);
  const code = params.get("code");
  const state = params.get("state");
  const error = params.get("error_description") || params.get("error");
  // the code and state leave the address bar (and history) before anything else happens
  history.replaceState(null, "", new URL("./", location.href).pathname);
  const pkce = JSON.parse(sessionStorage.getItem(PKCE_KEY) || "null");
  sessionStorage.removeItem(PKCE_KEY);
  if (error) throw new Error(`sign-in failed: ${error}`);
  if (!code || !pkce || pkce.state !== state) throw new Error("sign-in was interrupted: try again");
  const response = await fetch(`https://${config.domain}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: config.client_id,
      code,
      redirect_uri: config.redirect_uri,
      code_verifier: pkce.verifier,
    }),
    credentials: "omit",
  });
  if (!response.ok) throw new Error("the sign-in service refused the code: try again");
  const tokens = await response.json();
  // The API's Cognito authorizer reads the ID token (its claims carry the groups).
  keep({ token: tokens.id_token, expires_at: claims(tokens.id_token).exp });
  return true;
}

export function signOut(config) {
  forget();
  if (config && config.auth === "cognito") {
    const query = new URLSearchParams({ client_id: config.client_id, logout_uri: config.logout_uri });
    location.assign(`https://${config.domain}/logout?${query}`);
  } else {
    location.reload();
  }
}
