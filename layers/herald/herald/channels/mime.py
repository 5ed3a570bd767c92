"""The MIME message of an email, built so that mailbox providers trust it.

- One policy (:data:`POLICY`) drives body and header encoding: lines of at most 76 characters,
  so quoted-printable lines and RFC 2047 encoded words (long non-ASCII subjects) stay within
  RFC 2045/2047; SMTP's 998 applies only to the headers that carry URLs (List-Unsubscribe),
  which must fold rather than be encoded (a client would no longer see a URL in them).
- Non-ASCII bodies are encoded (quoted-printable, or base64 when shorter), never sent 8bit.
- HTML written as a fragment is sent as a document: ``<!doctype html>``, ``<html lang>`` from
  the customer's locale, ``<meta charset>`` and the subject as its title.
- Content with HTML only gets a faithful text alternative (:func:`text_from_html`): entities
  decoded, blocks as line breaks, links as ``text (url)``.
- Marketing mail always shows its unsubscribe link: a footer with it is appended to each part
  that doesn't show it already (see the README's "Mail that mailbox providers trust").
- ``List-Id`` names the rule and category; ``Feedback-ID`` names the rule, so that Gmail's
  feedback loop reports complaints per rule.
"""

from __future__ import annotations

import html as html_lib
import re
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import formataddr, make_msgid
from html.parser import HTMLParser

LINE = 76  # RFC 2045's quoted-printable limit; RFC 5322 recommends 78 for every line
URL_HEADERS = frozenset({"list-unsubscribe"})  # fold at SMTP's 998, never encode


class _MailPolicy(EmailPolicy):
    """SMTP line endings and 76-character lines, except for headers that carry URLs."""

    def _fold(self, name, value, refold_binary=False):  # type: ignore[override]
        if name.lower() in URL_HEADERS and self.max_line_length != 998:
            return self.clone(max_line_length=998)._fold(name, value, refold_binary)
        return super()._fold(name, value, refold_binary)


POLICY = _MailPolicy(linesep="\r\n", max_line_length=LINE, cte_type="7bit")

_BLOCKS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tr",
        "ul",
    ]
)
_SKIPPED = frozenset({"head", "script", "style", "title"})


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.links: list[tuple[str, int]] = []  # (href, where its text starts in out)
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag == "br":
            self.out.append("\n")
        elif tag in _BLOCKS:
            self.out.append("\n\n" if tag in ("p", "h1", "h2", "h3", "table", "ul", "ol") else "\n")
            if tag == "li":
                self.out.append("- ")
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.out)))
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.out.append(alt)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            self.out.append("\n")
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            text = "".join(self.out[start:]).strip()
            if href and not href.startswith(("#", "javascript:")) and href != text:
                self.out.append(f" ({href})" if text else href)
        elif tag in ("td", "th"):
            self.out.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.out.append(re.sub(r"\s+", " ", data))


def text_from_html(html: str) -> str:
    """A plain-text rendering of ``html``: what a text-only client should show."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.out).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


_DOCUMENT = re.compile(r"<html[\s>]", re.IGNORECASE)
_DOCTYPE = re.compile(r"^\s*<!doctype", re.IGNORECASE)


def html_document(html: str, lang: str | None, title: str) -> str:
    """``html`` as a complete document: a fragment is wrapped, a document gets a doctype."""
    if _DOCUMENT.search(html):
        return html if _DOCTYPE.match(html) else f"<!doctype html>\n{html}"
    language = html_lib.escape((lang or "en").replace("_", "-"), quote=True)
    return (
        f'<!doctype html>\n<html lang="{language}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html_lib.escape(title)}</title>\n</head>\n<body>\n{html}\n</body>\n</html>\n"
    )


UNSUBSCRIBE_TEXT = "You receive this because you subscribed. Unsubscribe"


def with_unsubscribe_footer(
    text: str | None, html: str | None, url: str
) -> tuple[str | None, str | None]:
    """Each part that doesn't show ``url`` gets a footer with it (marketing mail only)."""
    if text is not None and url not in text:
        text = f"{text.rstrip()}\n\n--\n{UNSUBSCRIBE_TEXT}: {url}\n"
    if html is not None and html_lib.escape(url, quote=True) not in html and url not in html:
        link = html_lib.escape(url, quote=True)
        footer = (
            '<p style="font-size:12px;color:#666">You receive this because you subscribed. '
            f'<a href="{link}">Unsubscribe</a></p>'
        )
        closing = re.search(r"</body\s*>", html, re.IGNORECASE)
        html = (
            f"{html[: closing.start()]}{footer}\n{html[closing.start() :]}"
            if closing
            else f"{html}\n{footer}"
        )
    return text, html


def _list_id(rule_id: str, category: str, domain: str) -> str:
    return f"<{rule_id}.{category}.{domain}>"


def build(
    *,
    sender: str,
    sender_name: str | None,
    to: str,
    rendered: dict,
    message_id: str,
    unsubscribe_url: str | None,
    locale: str | None = None,
    rule_id: str | None = None,
    category: str = "marketing",
) -> EmailMessage:
    """The message: headers, a text part and (when the content has HTML) an HTML part."""
    domain = sender.split("@", 1)[1]
    subject = rendered.get("subject", "")
    mime = EmailMessage(policy=POLICY)
    mime["From"] = formataddr((sender_name, sender)) if sender_name else sender
    mime["To"] = to
    mime["Subject"] = subject
    mime["Message-ID"] = make_msgid(idstring=message_id[:16], domain=domain)
    mime["X-Herald-Message-Id"] = message_id
    if rule_id:
        mime["List-Id"] = _list_id(rule_id, category, domain)
        # Gmail's feedback loop: complaints are reported per value of the first fields.
        mime["Feedback-ID"] = f"{rule_id}:{category}:herald"
    if unsubscribe_url:
        mime["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        mime["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    text, html = rendered.get("text"), rendered.get("html")
    if html:
        html = html_document(html, locale, subject)
    if not text:
        text = text_from_html(html or "")
    if unsubscribe_url and category == "marketing":
        text, html = with_unsubscribe_footer(text, html, unsubscribe_url)
    mime.set_content(text, subtype="plain", charset="utf-8")
    if html:
        mime.add_alternative(html, subtype="html", charset="utf-8")
    return mime
