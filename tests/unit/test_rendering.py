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
    with pytest.raises(rendering.TemplateSyntaxError):
        rendering.check_content(_content(sms={"text": "{{ x | no_such_filter }}"}))


def test_a_runaway_loop_fails_the_render_instead_of_hanging():
    content = _content(sms={"text": "{% for i in (1..100000000) %}x{% endfor %}"})
    with pytest.raises(rendering.RenderError):
        rendering.render(content, "sms", {})


def test_render_all_reports_a_failing_channel_without_hiding_the_others():
    content = _content(
        sms={"text": "ok {{ n }}"}, push={"body": "{% for i in (1..100000000) %}x{% endfor %}"}
    )
    out = rendering.render_all(content, {"n": 1})
    assert out["sms"] == {"text": "ok 1"}
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
