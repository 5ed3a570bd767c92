"""Variables templates use: every use with its path and line, and warnings for unknown roots."""

from __future__ import annotations

import pytest

from herald import rendering
from herald.domain.content import parse_content

CART_EMAIL = {
    "subject": "{{ customer.attributes.first_name }}, your cart is waiting",
    "html": (
        "{% assign total = event.items | map: 'price' | sum %}\n"
        "{% capture greeting %}Hi {{ customer.attributes.first_name | default: 'there' }}"
        "{% endcapture %}<h1>{{ greeting }}</h1>\n"
        "{% for item in event.items %}<p>{{ forloop.index }}. {{ item.sku }} {{ item['name'] }}"
        "{% if item.qty > 1 %} x{{ item.qty }}{% endif %}</p>{% endfor %}\n"
        "<p>{{ total }} {{ event.currency }}</p>{% increment shown %}{{ shown }}\n"
        "{% liquid\n  assign tier = customer.attributes.tier | default: 'basic'\n  echo tier\n%}\n"
        "<a href='{{ message.unsubscribe_url }}'>Unsubscribe</a>"
    ),
    "text": "{% for item in event.items %}- {{ item.sku }}\n{% endfor %}{{ event.items.size }}",
}


def _content(**channels):
    return parse_content({"id": "c", "channels": channels})


def _paths(uses):
    return [(use.field, use.path, use.line) for use in uses]


def test_a_realistic_email_uses_only_context_variables():
    # Given a cart email with loops, assigns, captures, increment and a liquid tag
    content = _content(email=CART_EMAIL)
    # When its variables are listed
    uses = rendering.variables(content)
    # Then every use of customer/event/message is there with its field, path and line...
    assert _paths(uses) == [
        ("channels.email.subject", ("customer", "attributes", "first_name"), 1),
        ("channels.email.html", ("event", "items"), 1),
        ("channels.email.html", ("customer", "attributes", "first_name"), 2),
        ("channels.email.html", ("event", "items"), 3),
        ("channels.email.html", ("event", "currency"), 4),
        ("channels.email.html", ("customer", "attributes", "tier"), 6),
        ("channels.email.html", ("message", "unsubscribe_url"), 9),
        ("channels.email.text", ("event", "items"), 1),
        ("channels.email.text", ("event", "items", "size"), 2),
    ]
    # ...and loop variables, forloop, assigned, captured and incremented names are not warned
    assert rendering.unknown_roots(content) == []


def test_a_typo_is_a_use_with_its_path_line_and_column():
    # Given a typo in a subject's second line
    content = _content(sms={"text": "Hello\nHi {{ customer.attributes.frist_name }}!"})
    # When its variables are listed
    (use,) = rendering.variables(content)
    # Then the typo'd path is there, where it is, for comparing with the profile catalogue
    assert use == rendering.VariableUse(
        field="channels.sms.text",
        path=("customer", "attributes", "frist_name"),
        line=2,
        column=7,
    )
    assert str(use) == "customer.attributes.frist_name"


def test_a_variable_outside_the_context_is_an_unknown_root_warning():
    # Given names a marketer may expect but templates are not given (line 2 and the push data)
    content = _content(
        sms={"text": "Hi\n{{ first_name }} {% for i in items %}{{ i }}{% endfor %}"},
        push={"title": "t", "body": "b", "data": {"link": "app://{{ forloop.index }}"}},
    )
    # When unknown roots are looked for
    warnings = rendering.unknown_roots(content)
    # Then each is a warning naming the field, the line and the variable
    assert [(w.code, w.field) for w in warnings] == [
        ("unknown_variable", "channels.sms.text"),
        ("unknown_variable", "channels.sms.text"),
        ("unknown_variable", "channels.push.data.link"),
    ]
    assert warnings[0].message.startswith("channels.sms.text line 2: 'first_name' is not given")
    assert "'items'" in warnings[1].message and "'forloop.index'" in warnings[2].message


def test_a_name_used_before_it_is_assigned_is_reported():
    # Given a variable output on line 1 and assigned only on line 2
    content = _content(sms={"text": "{{ name }}\n{% assign name = customer.email %}{{ name }}"})
    # When unknown roots are looked for
    warnings = rendering.unknown_roots(content)
    # Then only the use before the assign is flagged (it renders empty)
    assert [w.message.split(":")[0] for w in warnings] == ["channels.sms.text line 1"]


def test_a_key_computed_at_render_ends_the_path_and_is_a_use_of_its_own():
    # Given an attribute chosen by the event
    content = _content(sms={"text": "{{ customer.attributes[event.field].label }}"})
    # When its variables are listed
    uses = rendering.variables(content)
    # Then the static part of the path is the use, and the key's variable is another
    assert sorted(use.path for use in uses) == [("customer", "attributes"), ("event", "field")]


def test_locale_overrides_are_analysed_under_their_own_field():
    # Given a French override of the SMS text
    content = parse_content(
        {
            "id": "c",
            "channels": {"sms": {"text": "Hi {{ customer.attributes.first_name }}"}},
            "locales": {"fr": {"sms": {"text": "Salut {{ prenom }}"}}},
        }
    )
    # When unknown roots are looked for
    (warning,) = rendering.unknown_roots(content)
    # Then the warning names the locale's field
    assert warning.field == "locales.fr.sms.text"


def test_variables_of_an_invalid_template_is_the_syntax_error():
    # Given a template that doesn't compile
    content = _content(sms={"text": "{% if x %}"})
    # When its variables are listed, then it is the same error as at save
    with pytest.raises(rendering.TemplateSyntaxError):
        rendering.variables(content)
