"""Liquid content: escaping, locales, syntax errors with lines, bounded hostile templates."""

from __future__ import annotations

import pytest

from herald import rendering
from herald.domain.content import parse_content


def _content(**channels):
    return parse_content({"id": "c", "channels": channels})


def test_html_is_escaped_and_text_is_not():
    content = _content(
        email={
            "subject": "Hi {{ customer.name }}",
            "html": "<p>{{ customer.name }}</p>",
            "text": "{{ customer.name }}",
        }
    )
    out = rendering.render(content, "email", {"customer": {"name": "<script>x</script>"}})
    assert out["html"] == "<p>&lt;script&gt;x&lt;/script&gt;</p>"
    assert out["text"] == "<script>x</script>"
    assert out["subject"] == "Hi <script>x</script>"


def test_locale_override_is_rendered():
    content = parse_content(
        {
            "id": "c",
            "channels": {"sms": {"text": "Hello {{ n }}"}},
            "locales": {"fr": {"sms": {"text": "Bonjour {{ n }}"}}},
        }
    )
    assert rendering.render(content, "sms", {"n": "Ann"}, "fr")["text"] == "Bonjour Ann"
    assert rendering.render(content, "sms", {"n": "Ann"}, "en")["text"] == "Hello Ann"


def test_a_syntax_error_names_field_and_line():
    content = _content(email={"subject": "ok", "html": "<p>line one</p>\n<p>{{ customer.name </p>"})
    with pytest.raises(rendering.TemplateSyntaxError) as err:
        rendering.check_content(content)
    assert err.value.field == "channels.email.html"
    assert "line 2" in err.value.message


def test_unknown_filter_is_a_save_time_error():
    with pytest.raises(rendering.TemplateSyntaxError) as err:
        rendering.check_content(_content(sms={"text": "hi\n{{ x | no_such_filter }}"}))
    assert "line 2" in err.value.message and "no_such_filter" in err.value.message


# (what, template with the mistake on line 3, words the message must say)
MISTAKES = [
    ("unclosed if", "one\ntwo\n{% if x %}\nfour\nfive", "'if' is never closed"),
    ("unclosed for", "one\ntwo\n{% for i in x %}\n{{ i }}\n", "'for' is never closed"),
    ("unclosed capture", "one\ntwo\n{% capture x %}\nfour", "'capture' is never closed"),
    ("unclosed in a liquid tag", "one\n{% liquid\nif x\n  echo 1\n%}\n", "'if' is never closed"),
    ("unknown tag", "one\ntwo\n{% frobnicate %}\nfour", "unexpected tag 'frobnicate'"),
    ("bad filter argument", "one\ntwo\n{{ x | append: 'a' 'b' }}", "comma separated"),
    ("filter without a name", "one\ntwo\n{{ x | }}", "expected word"),
    ("assign without a value", "one\ntwo\n{% assign x = %}", "expected a primitive"),
    ("unexpected end", "one\ntwo\n{% endif %}\nfour", "unexpected tag 'endif'"),
    ("end of another block", "{% if x %}\ntwo\n{% endfor %}{% endif %}", "tag 'endfor'"),
    ("unclosed output", "one\ntwo\n{{ x \nfour", "expected '}}'"),
]


@pytest.mark.parametrize(("what", "source", "words"), MISTAKES, ids=[m[0] for m in MISTAKES])
def test_a_syntax_error_is_reported_at_the_line_of_the_mistake(what, source, words):
    # Given a template whose mistake is on line 3 (python-liquid places an unclosed block at the
    # end of the template, with no position: Herald reports the block's opening tag instead)
    content = _content(sms={"text": source})
    # When the content is checked for saving
    with pytest.raises(rendering.TemplateSyntaxError) as err:
        rendering.check_content(content)
    # Then the error names the field, line 3 and what is wrong
    assert err.value.field == "channels.sms.text"
    assert "line 3:" in err.value.message, err.value.message
    assert words in err.value.message


@pytest.mark.parametrize("tag", ["{% include 'footer' %}", "{% render 'footer', x: 1 %}"])
def test_include_and_render_are_refused_at_save_with_the_line(tag):
    # Given an email whose html pulls in another template on line 2 (there is no loader)
    content = _content(email={"subject": "s", "html": f"<p>hi</p>\n{tag}", "text": "t"})
    # When it is checked for saving
    with pytest.raises(rendering.TemplateSyntaxError) as err:
        rendering.check_content(content)
    # Then it is a 422 naming the field, the line and why
    assert err.value.status == 422
    assert err.value.field == "channels.email.html"
    assert "line 2" in err.value.message
    assert "include/render are not available: content is self-contained" in err.value.message


def test_a_runaway_loop_fails_the_render_instead_of_hanging():
    content = _content(sms={"text": "{% for i in (1..event.n) %}x{% endfor %}"})
    with pytest.raises(rendering.RenderError) as err:
        rendering.render(content, "sms", {"event": {"n": 100_000_000}})
    assert "loop limit" in err.value.message


def test_render_all_reports_a_failing_channel_without_hiding_the_others():
    content = _content(
        sms={"text": "ok {{ n }}"}, push={"body": "{% for i in (1..n) %}x{% endfor %}"}
    )
    out = rendering.render_all(content, {"n": 100_000_000})
    assert out["sms"] == {"text": "ok 100000000"}
    assert out["push"]["error"]["code"] == "render_failed"


def test_push_data_values_are_rendered():
    content = _content(
        push={"title": "t", "body": "b", "data": {"deeplink": "app://p/{{ event.sku }}"}}
    )
    assert rendering.render(content, "push", {"event": {"sku": "s1"}})["data"] == {
        "deeplink": "app://p/s1"
    }


def test_static_fields_render_verbatim_and_templated_ones_do_not():
    content = _content(
        email={"subject": "Big sale & more <today>", "html": "<p>{{ x }}</p>", "text": "a\n  b"}
    )
    out = rendering.render(content, "email", {"x": "<y>"})
    assert out == {
        "subject": "Big sale & more <today>",
        "html": "<p>&lt;y&gt;</p>",
        "text": "a\n  b",
    }
