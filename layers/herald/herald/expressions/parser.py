"""ZEN's parser, ported from zen-engine's ``parser/parser.rs`` and ``parser/standard.rs``.

A precedence-climbing parser with zen's operator table (``parser/constants.rs``)::

    or 10 · and 15 · == != < > <= >= in "not in" 20 · + - 30 · * / % 60 · ^ 70 (right) · ?? 80
    unary: not/! 50 · + - 200      ternary `? :` at the lowest level      postfix: . [ ] [a:b]

so ``not a == b`` is ``(not a) == b`` and ``a + b ?? c`` is ``a + (b ?? c)``, as in zen. Strings,
numbers, booleans, null and object literals take no postfix (``"abc"[0]`` is not ZEN).

zen marks an error node and parses on; this port raises :class:`SyntaxProblem` at the first
one, which accepts and refuses exactly the same texts because zen only ever discards error
nodes where it backtracks (an interval that turns out to be an array or a parenthesis), and
so does this port. zen retries every bracket as a possible interval, which costs 2^depth on
nested brackets; results are memoized per position here, and ``validate`` bounds the nesting
before zen sees the text.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from herald.expressions import nodes as n
from herald.expressions.functions import CLOSURES, FUNCTIONS, METHODS
from herald.expressions.problems import LimitProblem, SyntaxProblem
from herald.expressions.tokens import Kind, Token

LEFT, RIGHT = "left", "right"
BINARY = {
    "or": (10, LEFT),
    "and": (15, LEFT),
    **{op: (20, LEFT) for op in ("==", "!=", "<", ">", "<=", ">=", "in", "not in")},
    "+": (30, LEFT),
    "-": (30, LEFT),
    "*": (60, LEFT),
    "/": (60, LEFT),
    "%": (60, LEFT),
    "^": (70, RIGHT),
    "??": (80, LEFT),
}
UNARY = {"not": 50, "+": 200, "-": 200}
MAX_PARSE_DEPTH = 100  # recursion guard; ``checks`` refuses trees deeper than 64 levels anyway

# Operators zen accepts as a property name after a dot: ``x.and``, ``x.in``, ``x.not``, ``x.??``.
_PROPERTY_OPERATORS = frozenset({"and", "or", "not", "??", "in"})


def parse(tokens: list[Token]) -> n.Node:
    """The syntax tree of a tokenized expression; raises :class:`SyntaxProblem` as zen would."""
    return _Parser(tokens).parse()


class _Parser:
    def __init__(self, tokens: list[Token]):
        self.tokens = tokens
        self.pos = 0
        self.depth = 0  # closure depth: `#` is the current item only inside a closure
        self.level = 0  # recursion depth, for MAX_PARSE_DEPTH
        self.has_range = any(t.kind is Kind.OPERATOR and t.value == ".." for t in tokens)
        self.memo: dict[tuple[int, int], tuple[n.Node | None, int, SyntaxProblem | None]] = {}

    # -- tokens -------------------------------------------------------------------------------

    def current(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def at(self, kind: Kind, value: str | None = None) -> bool:
        token = self.current()
        return token is not None and token.kind is kind and (value is None or token.value == value)

    def prev_end(self) -> int:
        if 0 < self.pos <= len(self.tokens):
            return self.tokens[self.pos - 1].end
        token = self.current()
        return token.start if token is not None else 0

    def expect(self, kind: Kind, value: str) -> Token:
        token = self.current()
        if token is not None and token.kind is kind and token.value == value:
            self.pos += 1
            return token
        if token is None:
            raise SyntaxProblem(
                "the expression ends too early", self.prev_end(), f"`{value}` is missing"
            )
        raise SyntaxProblem(f"expected `{value}` but found `{token.text}`", token.start)

    def span(self, start: int) -> n.Span:
        return n.Span(start, self.prev_end())

    # -- expressions --------------------------------------------------------------------------

    def parse(self) -> n.Node:
        root = self.binary(0)
        token = self.current()
        if token is not None:
            raise _leftover(token)
        return root

    def binary(self, precedence: int) -> n.Node:
        if precedence:
            return self._binary(precedence)
        key = (self.pos, self.depth)
        if key in self.memo:
            node, end, problem = self.memo[key]
            if problem is not None:
                raise problem
            self.pos = end
            return node
        try:
            node = self._binary(0)
        except SyntaxProblem as problem:
            self.memo[key] = (None, self.pos, problem)
            raise
        self.memo[key] = (node, self.pos, None)
        return node

    def _binary(self, precedence: int) -> n.Node:
        self.level += 1
        if self.level > MAX_PARSE_DEPTH:
            token = self.current()
            raise LimitProblem(
                "the expression nests too deeply",
                token.start if token else self.prev_end(),
                "simplify it",
            )
        try:
            left = self.unary()
            while (token := self.current()) is not None and token.kind is Kind.OPERATOR:
                operator = BINARY.get(token.value)
                if operator is None or operator[0] < precedence:
                    break
                self.pos += 1
                strength, associativity = operator
                right = self.binary(strength + 1 if associativity == LEFT else strength)
                left = n.Binary(
                    token.value, left, right, n.Span(left.span.start, right.span.end), token.start
                )
            if precedence == 0 and self.at(Kind.OPERATOR, "?"):
                self.pos += 1
                then = self.binary(0)
                self.expect(Kind.OPERATOR, ":")
                otherwise = self.binary(0)
                left = n.Conditional(
                    left, then, otherwise, n.Span(left.span.start, otherwise.span.end)
                )
            return left
        finally:
            self.level -= 1

    def unary(self) -> n.Node:
        token = self.current()
        if token is None:
            previous = self.tokens[self.pos - 1].text if 0 < self.pos <= len(self.tokens) else ""
            advice = f"something is missing after `{previous}`" if previous else ""
            raise SyntaxProblem("the expression ends too early", self.prev_end(), advice)
        if self.depth > 0 and token.kind is Kind.IDENTIFIER and token.value == "#":
            self.pos += 1
            return self.postfix(n.Pointer(n.Span(token.start, token.end)))
        if token.kind is Kind.OPERATOR:
            strength = UNARY.get(token.value)
            if strength is None:
                raise SyntaxProblem(f"`{token.text}` cannot start an expression", token.start)
            self.pos += 1
            operand = self.binary(strength)
            return n.Unary(token.value, operand, n.Span(token.start, operand.span.end))
        interval = self.interval()
        if interval is not None:
            return interval
        if token.kind is Kind.BRACKET and token.value == "(":
            self.pos += 1
            inner = self.binary(0)
            self.expect(Kind.BRACKET, ")")
            return self.postfix(n.Parenthesized(inner, self.span(token.start)))
        return self.literal()

    def interval(self) -> n.Node | None:
        """``[a..b]`` and friends, or None (and no tokens consumed) when it is not one."""
        opening = self.current()
        if not self.has_range or opening is None or opening.kind is not Kind.BRACKET:
            return None
        start = self.pos
        self.pos += 1
        try:
            low = self.binary(0)
            self.expect(Kind.OPERATOR, "..")
            high = self.binary(0)
        except SyntaxProblem:
            self.pos = start
            return None
        closing = self.current()
        if closing is None:
            raise SyntaxProblem("this range is never closed", opening.start, "add `]` or `)`")
        if closing.kind is not Kind.BRACKET:
            self.pos = start
            return None
        self.pos += 1
        node = n.Interval(low, high, opening.value, closing.value, self.span(opening.start))
        return self.postfix(node)

    def literal(self) -> n.Node:
        token = self.current()
        if token is None:
            raise SyntaxProblem("the expression ends too early", self.prev_end())
        kind, span = token.kind, n.Span(token.start, token.end)
        if kind is Kind.IDENTIFIER and token.value == "null":
            self.pos += 1
            return n.Null(span)
        if kind in (Kind.IDENTIFIER, Kind.LITERAL):
            return self.identifier()
        if kind is Kind.BOOLEAN:
            self.pos += 1
            return n.Bool(token.value == "true", span)
        if kind is Kind.NUMBER:
            value = _decimal(token.text)
            if value is not None and (
                value.copy_abs() > _DECIMAL_MAX or (value and value.adjusted() < -28)
            ):
                raise SyntaxProblem(  # zen's numbers are rust_decimal's
                    f"`{token.text}` is out of range for a number",
                    token.start,
                    "numbers stay below 7.9e28 and have at most 28 decimals",
                )
            self.pos += 1
            return n.Number(token.text, value, span)
        if kind is Kind.QUOTE:
            return self.template() if token.value == "`" else self.string()
        if kind is Kind.BRACKET and token.value in "()]":
            interval = self.interval()
            if interval is None:
                raise SyntaxProblem(f"unexpected `{token.text}`", token.start)
            return interval
        if kind is Kind.BRACKET and token.value == "[":
            return self.interval() or self.array()
        if kind is Kind.BRACKET and token.value == "{":
            return self.object()
        raise SyntaxProblem(f"unexpected `{token.text}`", token.start)

    def identifier(self) -> n.Node:
        token = self.current()
        self.pos += 1
        span = n.Span(token.start, token.end)
        if not self.at(Kind.BRACKET, "("):
            node = n.Root(span) if token.value == "$root" else n.Identifier(token.value, span)
            node = self.postfix(node)
            if self.at(Kind.OPERATOR, "="):
                return self.assignments(node)
            return node
        builtin = FUNCTIONS.get(token.value)
        if builtin is None:
            raise SyntaxProblem(f"`{token.text}` is not a function ZEN knows", token.start)
        self.pos += 1
        arguments = self.closure_arguments() if token.value in CLOSURES else self.arguments()
        return self.postfix(n.Call(token.value, arguments, self.span(token.start)))

    def closure_arguments(self) -> tuple[n.Node, ...]:
        source = self.binary(0)
        alias = None
        if self.at(Kind.LITERAL, "as"):
            self.pos += 1
            name = self.current()
            if name is None or name.kind is not Kind.LITERAL:
                at = name.start if name is not None else self.prev_end()
                raise SyntaxProblem("expected a name after `as`", at)
            alias = name.value
            self.pos += 1
        self.expect(Kind.OPERATOR, ",")
        start = self.current().start if self.current() is not None else self.prev_end()
        self.depth += 1
        try:
            body = self.binary(0)
        finally:
            self.depth -= 1
        closure = n.Closure(body, alias, self.span(start))
        self.expect(Kind.BRACKET, ")")
        return (source, closure)

    def arguments(self) -> tuple[n.Node, ...]:
        """Comma-separated arguments up to and including ``)`` (the ``(`` is consumed)."""
        arguments = []
        while not self.at(Kind.BRACKET, ")"):
            arguments.append(self.binary(0))
            if not self.at(Kind.OPERATOR, ","):
                break
            self.pos += 1
        self.expect(Kind.BRACKET, ")")
        return tuple(arguments)

    def postfix(self, node: n.Node) -> n.Node:
        while (token := self.current()) is not None:
            if token.kind is Kind.OPERATOR and token.value == ".":
                node = self.member(node)
            elif token.kind is Kind.BRACKET and token.value == "[":
                node = self.index(node)
            else:
                break
        return node

    def member(self, target: n.Node) -> n.Node:
        dot = self.current()
        self.pos += 1
        name = self.current()
        if name is None:
            raise SyntaxProblem("the expression ends too early", dot.end, "a name must follow `.`")
        self.pos += 1
        valid = name.kind in (Kind.IDENTIFIER, Kind.LITERAL) or (
            name.kind is Kind.OPERATOR
            and name.value in _PROPERTY_OPERATORS
            and name.text != "not in"
        )
        if not valid:
            raise SyntaxProblem(
                f"`{name.text}` cannot follow `.`", name.start, "a name must follow `.`"
            )
        if self.at(Kind.BRACKET, "("):
            if name.text not in METHODS:
                raise SyntaxProblem(f"`{name.text}` is not a date method ZEN knows", name.start)
            self.pos += 1
            arguments = self.arguments()
            return n.MethodCall(name.text, target, arguments, self.span(target.span.start))
        key = n.String(name.text, n.Span(name.start, name.end))
        return n.Member(target, key, n.Span(target.span.start, name.end))

    def index(self, target: n.Node) -> n.Node:
        bracket = self.current()
        self.pos += 1
        if self.current() is None:
            raise SyntaxProblem("the expression ends too early", bracket.end, "`]` is missing")
        start = None
        if not self.at(Kind.OPERATOR, ":"):
            start = self.binary(0)
            if self.current() is None:
                raise SyntaxProblem(
                    "the expression ends too early", self.prev_end(), "`]` is missing"
                )
            if not self.at(Kind.OPERATOR, ":"):
                self.expect(Kind.BRACKET, "]")
                return n.Member(target, start, self.span(target.span.start))
        self.pos += 1  # the `:` of a slice
        if self.current() is None:
            raise SyntaxProblem("the expression ends too early", self.prev_end(), "`]` is missing")
        stop = None if self.at(Kind.BRACKET, "]") else self.binary(0)
        self.expect(Kind.BRACKET, "]")
        return n.Slice(target, start, stop, self.span(target.span.start))

    def array(self) -> n.Node:
        opening = self.current()
        self.pos += 1
        items: list[n.Node] = []
        while not self.at(Kind.BRACKET, "]"):
            if items:
                self.expect(Kind.OPERATOR, ",")
                if self.at(Kind.BRACKET, "]"):
                    break  # a trailing comma
            items.append(self.binary(0))
        self.expect(Kind.BRACKET, "]")
        return self.postfix(n.Array(tuple(items), self.span(opening.start)))

    def object(self) -> n.Node:
        opening = self.current()
        self.pos += 1
        entries: list[tuple[n.Node, n.Node]] = []
        if self.at(Kind.BRACKET, "}"):
            self.pos += 1
            return n.Object((), self.span(opening.start))
        while True:
            key = self.object_key()
            self.expect(Kind.OPERATOR, ":")
            entries.append((key, self.binary(0)))
            token = self.current()
            if token is None:
                break
            if token.kind is Kind.OPERATOR and token.value == ",":
                self.pos += 1
                continue
            if token.kind is Kind.BRACKET and token.value == "}":
                break
            raise SyntaxProblem(f"expected `,` or `}}` but found `{token.text}`", token.start)
        self.expect(Kind.BRACKET, "}")
        return n.Object(tuple(entries), self.span(opening.start))

    def object_key(self) -> n.Node:
        token = self.current()
        if token is None:
            raise SyntaxProblem(
                "the expression ends too early", self.prev_end(), "a key is missing"
            )
        span = n.Span(token.start, token.end)
        if token.kind in (Kind.IDENTIFIER, Kind.BOOLEAN, Kind.NUMBER, Kind.LITERAL):
            self.pos += 1
            return n.String(token.text, span)
        if token.kind is Kind.BRACKET and token.value == "[":
            self.pos += 1
            key = self.binary(0)
            self.expect(Kind.BRACKET, "]")
            return key
        if token.kind is Kind.QUOTE and token.value != "`":
            return self.string()
        raise SyntaxProblem(f"`{token.text}` cannot be an object key", token.start)

    def string(self) -> n.Node:
        quote = self.current()
        self.pos += 1
        text = self.current()  # the tokenizer always emits quote, literal, quote
        self.pos += 2
        return n.String(text.value, self.span(quote.start))

    def template(self) -> n.Node:
        opening = self.current()
        self.pos += 1
        parts: list[n.Node] = []
        while (token := self.current()) is not None and not (
            token.kind is Kind.QUOTE and token.value == "`"
        ):
            if token.kind is Kind.TEMPLATE and token.value == "${":
                self.pos += 1
                parts.append(self.binary(0))
                self.expect(Kind.TEMPLATE, "}")
            elif token.kind is Kind.TEMPLATE:
                self.pos += 1
            elif token.kind is Kind.LITERAL:
                parts.append(n.String(token.value, n.Span(token.start, token.end)))
                self.pos += 1
            else:
                raise SyntaxProblem(f"unexpected `{token.text}` in this template", token.start)
        self.expect(Kind.QUOTE, "`")
        return n.Template(tuple(parts), self.span(opening.start))

    def assignments(self, first: n.Node) -> n.Node:
        """``a.b = 1; c = 2; output`` (zen accepts it; the checks refuse it)."""
        equals = self.current()
        self.pos += 1
        entries = [(first, self.binary(0))]
        output = None
        while self.current() is not None:
            self.expect(Kind.OPERATOR, ";")
            token = self.current()
            if token is None:
                break
            checkpoint = self.pos
            self.pos += 1
            try:
                key = self.postfix(n.Identifier(token.text, n.Span(token.start, token.end)))
                assigns = self.at(Kind.OPERATOR, "=")
            except SyntaxProblem:
                assigns = False
            if not assigns:
                self.pos = checkpoint
                output = self.binary(0)
                break
            self.pos += 1
            entries.append((key, self.binary(0)))
        return n.Assignments(tuple(entries), output, equals.start, self.span(first.span.start))


_DECIMAL_MAX = Decimal(2**96 - 1)


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.replace("_", ""))
    except InvalidOperation:
        return None


def _leftover(token: Token) -> SyntaxProblem:
    """The text goes on after a complete expression: say what the extra token usually means."""
    advice = {
        ";": "a condition is a single expression, `;` is not allowed",
        "=": "`=` assigns; use `==` to compare",
        ",": "`,` only separates the items of a list or the arguments of a function",
        ":": "`:` only belongs in `condition ? a : b`, in objects and in slices",
    }.get(token.text, "")
    if not advice and token.kind is Kind.BRACKET and token.value in ")]}":
        advice = "it has no matching opening bracket"
    elif not advice and token.kind in (Kind.LITERAL, Kind.IDENTIFIER, Kind.QUOTE, Kind.NUMBER):
        advice = "join conditions with `and` or `or`"
    return SyntaxProblem(f"unexpected `{token.text}`", token.start, advice)
