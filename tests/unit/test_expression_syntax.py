"""Herald's ZEN tokenizer and parser against zen itself: same texts accepted, same meaning."""

from __future__ import annotations

import json

import pytest
import zen
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from herald import expressions
from herald.expressions import condition as condition_module
from herald.expressions import nodes as n
from herald.expressions.functions import FUNCTIONS, METHODS
from herald.expressions.parser import parse
from herald.expressions.problems import Problem, SyntaxProblem
from herald.expressions.tokens import Kind, tokenize


def _zen_must_not_run(*_args, **_kwargs):
    raise AssertionError("zen was handed a text the checks should have refused first")


def tree(source: str) -> n.Node:
    return parse(tokenize(source))


# -- a printer: the tree back to ZEN text, every operation in parentheses ------------------------


def _quote(text: str) -> str:
    return f'"{text}"' if '"' not in text else f"'{text}'"


def unparse(node: n.Node) -> str:
    """ZEN text with the same meaning as ``node`` and its grouping spelled out."""
    match node:
        case n.Null():
            return "null"
        case n.Bool(value=value):
            return "true" if value else "false"
        case n.Number(text=text):
            return text
        case n.String(value=value):
            return _quote(value)
        case n.Template(parts=parts):
            inner = "".join(
                p.value if isinstance(p, n.String) else "${" + unparse(p) + "}" for p in parts
            )
            return f"`{inner}`"
        case n.Pointer():
            return "#"
        case n.Identifier(name=name):
            return name
        case n.Root():
            return "$root"
        case n.Array(items=items):
            return "[" + ", ".join(map(unparse, items)) + "]"
        case n.Object(entries=entries):
            return (
                "{"
                + ", ".join(
                    (_quote(k.value) if isinstance(k, n.String) else f"[{unparse(k)}]")
                    + f": {unparse(v)}"
                    for k, v in entries
                )
                + "}"
            )
        case n.Parenthesized(inner=inner):
            return f"({unparse(inner)})"
        case n.Member(target=target, key=key):
            shown = _quote(key.value) if isinstance(key, n.String) else unparse(key)
            return f"{unparse(target)}[{shown}]"
        case n.Slice(target=target, start=start, stop=stop):
            low = unparse(start) if start else ""
            high = unparse(stop) if stop else ""
            return f"{unparse(target)}[{low}:{high}]"
        case n.Interval(low=low, high=high, opening=opening, closing=closing):
            return f"{opening}{unparse(low)}..{unparse(high)}{closing}"
        case n.Conditional(condition=c, then=t, otherwise=o):
            return f"({unparse(c)} ? {unparse(t)} : {unparse(o)})"
        case n.Unary(operator=op, operand=operand):
            return f"({op} {unparse(operand)})"
        case n.Binary(operator=op, left=left, right=right):
            return f"({unparse(left)} {op} {unparse(right)})"
        case n.Call(name=name, arguments=(source, n.Closure(body=body, alias=alias))):
            named = f" as {alias}" if alias else ""
            return f"{name}({unparse(source)}{named}, {unparse(body)})"
        case n.Call(name=name, arguments=arguments):
            return f"{name}({', '.join(map(unparse, arguments))})"
        case n.MethodCall(name=name, target=target, arguments=arguments):
            return f"{unparse(target)}.{name}({', '.join(map(unparse, arguments))})"
    raise AssertionError(f"cannot print {node!r}")


# -- expressions generated from zen's grammar ------------------------------------------------

ATOMS = st.sampled_from(
    [
        *["0", "1", "2.5", "1_000", "1e2", "10", "3", "1."],
        *['"gold"', "'x'", '""', '"a b"', "`t`", "true", "false", "null"],
        *["event.cart_total", "customer.attributes.tier", "event.items", "event.name", "now"],
        *["customer.attributes.wishlist", "customer.attributes", "event", "event.n"],
        *["x", "k", "a", "$", "$root", "#", "#.price"],
    ]
)
SPACE = st.sampled_from(["", " ", "  ", "\n", "\t"])
BINARY = st.sampled_from(
    ["and", "or", "==", "!=", "<", ">", "<=", ">=", "in", "not in", "+", "-", "*", "/", "%", "^"]
    + ["??"]
)
ONE_ARGUMENT = st.sampled_from(
    ["len", "upper", "lower", "trim", "abs", "sum", "avg", "min", "max", "floor", "ceil", "round"]
    + ["string", "number", "bool", "type", "keys", "values", "flatten", "d", "date", "isNumeric"]
    + ["median", "mode", "year"]
)
TWO_ARGUMENTS = st.sampled_from(
    ["contains", "startsWith", "endsWith", "split", "round", "d", "matches", "startOf"]
    + ["fuzzyMatch", "extract"]
)
CLOSURE = st.sampled_from(["map", "filter", "all", "some", "none", "one", "count", "flatMap"])
METHOD = st.sampled_from(["isBefore", "isAfter", "add", "format", "year", "isSame", "diff"])


def _binary(t: tuple) -> str:
    left, before, op, after, right = t
    if op[0].isalpha():  # words need a space around them
        before, after = before or " ", after or " "
    return f"{left}{before}{op}{after}{right}"


def _compound(c: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(
        st.tuples(c, SPACE, BINARY, SPACE, c).map(_binary),
        st.tuples(st.sampled_from(["not ", "!", "-", "+"]), c).map("".join),
        c.map(lambda a: f"({a})"),
        st.tuples(c, c, c).map(lambda t: f"{t[0]} ? {t[1]} : {t[2]}"),
        st.lists(c, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.lists(c, min_size=1, max_size=2).map(lambda xs: "[" + ", ".join(xs) + ",]"),
        st.tuples(c, c).map(lambda t: f"{{a: {t[0]}, 'b': {t[1]}}}"),
        st.tuples(c, c).map(lambda t: f"{{[{t[0]}]: {t[1]}}}"),
        st.tuples(st.sampled_from("[(])"), c, c, st.sampled_from("])[(")).map(
            "{0[0]}{0[1]}..{0[2]}{0[3]}".format
        ),
        st.tuples(c, st.sampled_from(["a", "price", "in", "and", "not", "tier", "0"])).map(
            lambda t: f"{t[0]}.{t[1]}"
        ),
        st.tuples(c, c).map(lambda t: f"{t[0]}[{t[1]}]"),
        st.tuples(c, c, c).map(lambda t: f"{t[0]}[{t[1]}:{t[2]}]"),
        st.tuples(c, c).map(lambda t: f"{t[0]}[:{t[1]}]"),
        st.tuples(ONE_ARGUMENT, c).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(TWO_ARGUMENTS, c, c).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        st.tuples(CLOSURE, c, c).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        st.tuples(CLOSURE, c, c).map(lambda t: f"{t[0]}({t[1]} as it, {t[2]} and it)"),
        st.tuples(c, METHOD, c).map(lambda t: f"d({t[0]}).{t[1]}({t[2]})"),
        st.tuples(c, c).map(lambda t: f"`pre ${{{t[0]}}} mid ${{{t[1]}}}`"),
        c.map(lambda a: f"`open {a}"),
        st.tuples(c, c).map(lambda t: f"customer.tier = {t[0]}; {t[1]}"),
    )


EXPRESSIONS = st.recursive(ATOMS, _compound, max_leaves=8)
# Token soup: short, so zen's exponential retries of brackets stay cheap.
SOUP = st.lists(
    st.sampled_from(
        ["(", ")", "[", "]", "{", "}", "..", ".", ",", ":", "?", "??", "=", "==", ";", "not"]
        + ["in", "not in", "!", "-", "+", "*", "`", "${", "'", '"', "x", "1", "1.", "e", "#"]
        + ["$", "as", "map", "len", "and", "true", "null", "event", "a"]
    ),
    max_size=10,
).map(lambda tokens: " ".join(tokens) if len(tokens) % 2 else "".join(tokens))

CONTEXT = {
    "event": {
        "cart_total": 120,
        "items": [{"sku": "a", "price": 60, "tags": ["x"]}, {"sku": "b", "price": 10, "tags": []}],
        "name": "Abc",
        "n": 3,
    },
    "customer": {"attributes": {"tier": "gold", "wishlist": ["a", "c"]}, "email": "a@b.c"},
    "now": "2026-11-24T12:00:00Z",
    "x": 2,
    "k": {"a": 1},
    "a": 1,
}


def _outcome(source: str):
    try:
        return "ok", json.dumps(zen.evaluate_expression(source, CONTEXT), sort_keys=True)
    except RuntimeError:
        return "error", None


@settings(
    max_examples=500, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
)
@given(source=st.one_of(EXPRESSIONS, EXPRESSIONS, SOUP))
def test_what_zen_accepts_parses_and_means_the_same(source):
    # Given a text zen accepts
    if zen.validate_expression(source) is not None:
        return
    # When Herald parses it
    parsed = tree(source)
    # Then the tree, printed back with every grouping explicit, evaluates exactly like the text
    if any(isinstance(x, n.Assignments) for x in n.walk(parsed)):
        return  # assignments mutate the context: refused at save, their meaning is moot
    assert _outcome(unparse(parsed)) == _outcome(source), unparse(parsed)


# -- zen's quirks, one by one ----------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "x not in y",  # one operator
        "x not  in y",  # two spaces: `not` then `in`, which zen refuses
        "!x",
        "not x in y",  # (not x) in y
        '"a\\"b"',  # no escapes: the string ends at the second quote
        "`abc",  # zen closes an unterminated template
        "`a${x}b${ {c: 1}.c }`",  # `}` always ends the placeholder
        "1..5",
        "[1..5]",
        "]1..5[",
        "{1..5}",
        "1.",
        "1e",
        "1e5 == 100000",
        "1_000 == 1000",
        '"abc"[0]',  # no postfix after a string literal
        "{a: 1}.a",  # nor after an object literal
        "[1, 2,]",
        "{a: 1,}",
        "x.in + x.and",
        "a = 1;",
        "(a = 1)",
        "map(event.items as it, it.price)",
        "# > 1",
        "d(now).isBefore()",
        "len(1, 2)",
        "event.x == 1 )",
        "foo(1)",
        "x.foo()",
        "x\r== 1",
    ],
)
def test_the_parser_accepts_exactly_what_zen_accepts(source):
    # Given a text that exercises one of zen's lexer or parser quirks
    zen_accepts = zen.validate_expression(source) is None
    # When Herald parses it
    try:
        tree(source)
        herald_accepts = True
    except Problem:
        herald_accepts = False
    # Then both agree (zen's compiler also checks how many arguments a function takes)
    compile_only = zen_accepts is False and "compilerError" in str(zen.validate_expression(source))
    assert herald_accepts == zen_accepts or compile_only


@pytest.mark.parametrize(
    ("source", "grouped"),
    [
        ("not a == b", "((not a) == b)"),
        ("a + b ?? c", "(a + (b ?? c))"),
        ("2 ^ 3 ^ 2", "(2 ^ (3 ^ 2))"),
        ("-2 ^ 2", "((- 2) ^ 2)"),
        ("10 - 2 - 3", "((10 - 2) - 3)"),
        ("a or b and c", "(a or (b and c))"),
        ("a == 1 ? b : c", "((a == 1) ? b : c)"),
        ("x in [1..5] and y", "((x in [1..5]) and y)"),
    ],
)
def test_operators_bind_as_in_zen(source, grouped):
    # Given an expression whose meaning depends on precedence
    # When Herald parses it
    # Then the grouping is zen's (parentheses spelled out)
    assert unparse(tree(source)) == grouped


def test_the_tokenizer_reads_zens_operators_and_names():
    # Given an expression using every kind of token
    tokens = tokenize('not x in [1..2] and !y ?? `t${z}` != "s" or $root.k')
    # Then `not` and `!` are the same operator, `not` before ` in ` is not
    assert [t.value for t in tokens if t.kind is Kind.OPERATOR] == [
        "not", "in", "..", "and", "not", "??", "!=", "or", ".",
    ]  # fmt: skip
    assert [t.value for t in tokens if t.kind is Kind.IDENTIFIER] == ["$root"]


def test_every_function_and_method_name_and_arity_is_zens():
    # Given Herald's table of zen's built-ins
    for name, builtin in FUNCTIONS.items():
        low, high = builtin.arity
        args = ", ".join(["[1]"] * low)
        # Then zen knows each function with as few arguments as the table says, not one more
        if builtin.closure:
            assert zen.validate_expression(f"{name}([1], true)") is None, name
            continue
        assert zen.validate_expression(f"{name}({args})") is None, name
        too_many = ", ".join(["1"] * (high + 1))
        assert zen.validate_expression(f"{name}({too_many})") is not None, name
    for name, builtin in METHODS.items():
        low, high = builtin.arity
        args = ", ".join(['"d"'] * (low - 1))
        assert zen.validate_expression(f"d(now).{name}({args})") is None, name
        too_many = ", ".join(["1"] * high)
        assert zen.validate_expression(f"d(now).{name}({too_many})") is not None, name
    # And a name outside the table is not a zen function
    assert zen.validate_expression("nope(1)") is not None


def test_deep_brackets_are_refused_before_zen_parses_them(monkeypatch):
    # Given brackets nested deeper than the limit, with a range somewhere (zen's parser is
    # exponential in bracket nesting then: 20 levels exhaust 2 GB)
    source = "[(" * 10 + "1" + ")]" * 10 + " in [1..2]"
    monkeypatch.setattr(condition_module.zen, "validate_expression", _zen_must_not_run)
    monkeypatch.setattr(condition_module.zen, "compile_expression", _zen_must_not_run)
    # When it is validated
    with pytest.raises(expressions.ExpressionError) as err:
        expressions.validate(source)
    # Then it is refused without zen ever seeing it, naming the limit and the bracket
    assert err.value.message.startswith("brackets nest more than 8 deep at line 1, column 9")


def test_an_expression_zen_accepts_but_herald_cannot_parse_is_refused_plainly(monkeypatch):
    # Given a parser that fails on something zen accepted (a construct Herald does not know)
    from herald.expressions import condition

    def unsupported(tokens):
        raise SyntaxProblem("`@@`", 3)

    monkeypatch.setattr(condition, "parse", unsupported)
    # When it is validated
    with pytest.raises(expressions.ExpressionError) as err:
        expressions.validate("event.x == 1")
    # Then the refusal says so, with the position, instead of crashing
    assert "unsupported construct" in err.value.message
    assert (err.value.line, err.value.column) == (1, 4)
