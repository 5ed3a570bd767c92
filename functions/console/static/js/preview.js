// The email preview: the rendered HTML in an iframe with `sandbox` (no allow-scripts: nothing
// in it runs) and `srcdoc`. A srcdoc frame inherits the console's Content-Security-Policy,
// which allows no inline style, so the email's own CSS (style attributes and <style> blocks)
// is moved aside when the HTML is parsed (by DOMParser: inert, nothing loads or runs) and
// applied through CSSOM once the frame has loaded. That needs `allow-same-origin`, which is
// safe without `allow-scripts`: no script runs in the frame to use the shared origin.

import { h } from "./dom.js";

const STYLE_ATTR = "data-herald-style";

// Even parsing a style attribute or a <style> block breaks the policy (and Chromium reports
// it), so both are set aside in the text first. A tag this misses keeps its style attribute,
// which the policy then blocks: the preview loses that style, never its sandbox.
const STYLE_BLOCK = /<style\b[^>]*>([\s\S]*?)<\/style\s*>/gi;
const TAG = /<[a-zA-Z][^>]*>/g;
const STYLE_ATTRIBUTE = /(\s)style(\s*=)/gi;

function inert(source) {
  const sheets = [];
  const html = source
    .replace(STYLE_BLOCK, (_, css) => (sheets.push(css), ""))
    .replace(TAG, (tag) => tag.replace(STYLE_ATTRIBUTE, `$1${STYLE_ATTR}$2`));
  const doc = new DOMParser().parseFromString(html, "text/html");
  // what could navigate, load or run is dropped (it wouldn't run anyway: belt and braces)
  for (const el of doc.querySelectorAll("script, base, meta[http-equiv], link, object, embed, iframe, form")) el.remove();
  for (const el of doc.querySelectorAll("*")) {
    for (const attr of [...el.attributes]) {
      if (attr.name.startsWith("on")) el.removeAttribute(attr.name);
    }
  }
  return { html: `<!doctype html>${doc.documentElement.outerHTML}`, sheets };
}

/** An iframe showing `html` as the email client would (links inert, no scripts). */
export function emailFrame(html, title = "Email preview") {
  const frame = h("iframe", { class: "preview-frame", title, sandbox: "allow-same-origin", referrerpolicy: "no-referrer" });
  update(frame, html);
  return frame;
}

export function update(frame, html) {
  const { html: page, sheets } = inert(html || "");
  frame.onload = () => {
    const doc = frame.contentDocument;
    if (!doc) return;
    for (const el of doc.querySelectorAll(`[${STYLE_ATTR}]`)) el.style.cssText = el.getAttribute(STYLE_ATTR);
    const adopted = [];
    for (const text of sheets) {
      try {
        const sheet = new doc.defaultView.CSSStyleSheet();
        sheet.replaceSync(text);
        adopted.push(sheet);
      } catch {
        // CSS the browser can't read is left out, as a mail client would
      }
    }
    doc.adoptedStyleSheets = adopted;
    frame.dataset.styled = "1";
  };
  frame.dataset.styled = "";
  frame.srcdoc = page;
}
