"""Mail that mailbox providers trust: line lengths, encodings, documents, text alternatives,
the visible unsubscribe link, List-Id and Feedback-ID, tokens that don't reveal the customer."""

from __future__ import annotations

import base64
import email
import re
from email import policy

from herald.channels import mime

URL = "https://api.example.com/u/" + "t" * 150
LONG_FR = (
    "Ann, la livraison de votre panier est offerte aujourd'hui — profitez-en, c'est génial " * 2
)


def _build(rendered: dict, **kwargs):
    args = {
        "sender": "hello@example.com", "sender_name": "Northwind", "to": "ann@example.com",
        "rendered": rendered, "message_id": "0123456789abcdef0123456789abcdef",
        "unsubscribe_url": URL, "locale": "fr", "rule_id": "cart-abandoned-gold",
    }  # fmt: skip
    return mime.build(**{**args, **kwargs})


def _raw(message) -> str:
    return message.as_bytes().decode("ascii")  # 7bit on the wire: every byte is ASCII


def test_quoted_printable_and_encoded_words_keep_their_rfc_lengths_and_urls_fold():
    raw = _raw(_build({"subject": LONG_FR, "html": f"<p>{'é' * 3000}</p>", "text": "x" * 2000}))
    body_lines = raw.split("\r\n\r\n", 1)[1].split("\r\n")
    assert max(len(line) for line in body_lines) <= 76  # RFC 2045 (no MIME_QP_LONG_LINE)
    words = re.findall(r"=\?utf-8\?[qb]\?[^?]*\?=", raw)
    assert words and max(len(w) for w in words) <= 75  # RFC 2047
    assert f"List-Unsubscribe: <{URL}>" in raw  # SMTP's 998 where a URL must stay a URL
    parsed = email.message_from_string(raw, policy=policy.default)
    # (Python's folder may double a space beside an encoded word: the words are all there.)
    assert str(parsed["Subject"]).split() == LONG_FR.split()


def test_non_ascii_bodies_are_encoded_never_8bit():
    message = _build({"subject": "s", "text": "Déjà vu, ça coûte 10 €", "html": "<p>€</p>"})
    encodings = {p["Content-Transfer-Encoding"] for p in message.walk() if not p.is_multipart()}
    assert encodings <= {"quoted-printable", "base64"}
    assert "8bit" not in _raw(message)


def test_html_only_content_gets_a_faithful_text_alternative_with_the_unsubscribe_link():
    html = (
        "<h1>Winter&nbsp;sale &amp; more</h1><p>Coats are <b>30%</b> off.<br>Until Sunday.</p>"
        '<ul><li>Wool</li><li>Down</li></ul><p><a href="https://shop.example.com/w">See the '
        f'sale</a></p><p><a href="{URL}">Unsubscribe</a></p>'
    )
    text = _build({"subject": "s", "html": html}).get_body(("plain",)).get_content()
    assert text.splitlines()[:6] == [
        "Winter sale & more", "", "Coats are 30% off.", "Until Sunday.", "", "- Wool",
    ]  # fmt: skip
    assert "See the sale (https://shop.example.com/w)" in text
    assert f"Unsubscribe ({URL})" in text


def test_an_html_fragment_is_sent_as_a_document_in_the_customers_language():
    html = _build({"subject": "Soldes <d'hiver>", "html": "<p>Bonjour</p>"}).get_body(("html",))
    document = html.get_content()
    assert document.startswith('<!doctype html>\n<html lang="fr">')
    assert (
        '<meta charset="utf-8">' in document
        and "<title>Soldes &lt;d&#x27;hiver&gt;</title>" in document
    )
    whole = "<html><body><p>Already a document</p></body></html>"
    kept = _build({"subject": "s", "html": whole}).get_body(("html",)).get_content()
    assert kept.startswith("<!doctype html>\n<html><body>")


def test_marketing_mail_without_a_visible_unsubscribe_link_gets_a_footer():
    message = _build({"subject": "s", "html": "<p>Sale</p>", "text": "Sale"})
    assert f'<a href="{URL}">Unsubscribe</a>' in message.get_body(("html",)).get_content()
    assert message.get_body(("plain",)).get_content().rstrip().endswith(f"Unsubscribe: {URL}")
    shown = _build({"subject": "s", "text": f"Sale. Stop: {URL}"}).get_body(("plain",))
    assert shown.get_content().count(URL) == 1  # already visible: no second link
    receipt = _build({"subject": "s", "text": "Receipt"}, unsubscribe_url=None,
                     category="transactional")  # fmt: skip
    assert "Unsubscribe" not in receipt.get_body(("plain",)).get_content()


def test_list_id_and_feedback_id_name_the_rule():
    message = _build({"subject": "s", "text": "t"})
    assert message["List-Id"] == "<cart-abandoned-gold.marketing.example.com>"
    assert message["Feedback-ID"] == "cart-abandoned-gold:marketing:herald"


def test_an_unsubscribe_token_reveals_neither_customer_nor_channel():
    from herald import unsubscribe
    from herald.unsubscribe import Keyring

    keys = Keyring("k1", {"k1": "secret-key"})
    token = unsubscribe.sign("c-ann-0042", "email", keys.key("k1"), "k1", "m" * 32)
    decoded = b"".join(
        base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)) for part in token.split(".")[1:]
    )
    assert b"c-ann" not in decoded and b"email" not in decoded and b"mmmm" not in decoded
    assert unsubscribe.verify_link(token, keys) == ("c-ann-0042", "email", "m" * 32)
