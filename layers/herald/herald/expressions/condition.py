"""A rule's condition: validated on save, compiled once, evaluated within a budget."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import zen

from herald.expressions import budget, checks
from herald.expressions import nodes as n
from herald.expressions.errors import (
    BudgetExceeded,
    EvaluationError,
    ExpressionError,
    describe_error,
)
from herald.expressions.functions import FUNCTIONS, METHODS
from herald.expressions.parser import parse
from herald.expressions.problems import LimitProblem, Problem, SyntaxProblem, char_offset
from herald.expressions.references import Reference, paths, references
from herald.expressions.tokens import Kind, Token, tokenize

MAX_LENGTH = 4096
"""Characters in a condition: a rule's condition is a sentence, not a program."""
MAX_NESTING = 8
"""Brackets and parentheses inside one another. zen's parser retries every bracket as a possible
range ``[a..b]``, which doubles its work per level (measured: 14 levels take 1.7 s, 16-20 exhaust
2-4 GB): the limit is checked before zen sees the text. Real conditions nest 2-4 deep."""
MAX_PARSE_WORK = 20_000
"""Tokens zen's parser may visit, counting its retries (see ``_check_parse_work``): ~20 ms at
most. Real conditions need under 100; a token inside 8 such brackets counts 256."""


@dataclass(frozen=True, slots=True)
class Condition:
    """A compiled ``when`` expression, the context paths it reads and its cost model."""

    source: str
    compiled: zen.PyExpression
    paths: frozenset[tuple[str, ...]]
    references: tuple[Reference, ...]
    bounded: bool  # True: no run-time check needed (see the package docstring)
    tree: n.Node
    model: budget.CostModel

    def cost(self, context: dict) -> int:
        """The estimated steps zen would take on this context."""
        return self.model.cost(context)

    def evaluate(self, context: dict) -> object:
        """The raw result; :class:`BudgetExceeded` before calling zen when it would cost too
        much, :class:`EvaluationError` when zen fails."""
        if not self.bounded:
            steps = self.model.cost(context)
            if steps > budget.BUDGET:
                raise BudgetExceeded(steps, budget.BUDGET)
        try:
            return self.compiled.evaluate(context)
        except RuntimeError as exc:  # zen-engine raises RuntimeError on type errors
            raise EvaluationError(describe_error(exc)) from exc


_cache: dict[str, Condition] = {}


def compile_condition(expression: str) -> Condition:
    """Validate, compile and cache (by source text) a condition."""
    return _compiled(expression, "when", _cache, number=False)


def _compiled(expression: str, field: str, cache: dict, *, number: bool) -> Condition:
    cached = cache.get(expression)
    if cached is None:
        compiled, tree, closure_calls = _checked(expression, field, compiling=True, number=number)
        found = references(tree, expression)
        bounded = budget.is_bounded(closure_calls)
        model = budget.CostModel(tree)
        cached = Condition(expression, compiled, paths(found), found, bounded, tree, model)
        cache[expression] = cached
    return cached


_values: dict[str, Condition] = {}


def compile_value(expression: str, field: str = "goal.value") -> Condition:
    """Validate, compile and cache a goal's value expression: the same checks as a condition
    (syntax, names, limits, cost), but its result must be a number."""
    return _compiled(expression, field, _values, number=True)


def validate(expression: str, field: str = "when") -> None:
    """Raise :class:`ExpressionError` (with line and column) unless ``expression`` is a valid
    condition: ZEN syntax, no assignment, known names, a true/false result, within limits."""
    _checked(expression, field, compiling=False)


def read_paths(expression: str) -> frozenset[tuple[str, ...]]:
    """The context paths a ZEN expression reads (cut for projection), without other checks."""
    try:
        return paths(references(parse(tokenize(expression)), expression))
    except Problem as problem:
        message, line, column = problem.render(expression)
        raise ExpressionError(message, line=line, column=column) from None


def _checked(
    expression: str, field: str, *, compiling: bool, number: bool = False
) -> tuple[zen.PyExpression | None, n.Node, list[n.Call]]:
    """Every save-time check: zen's compiled expression (when ``compiling``), the syntax tree
    and its closure calls."""
    try:
        tokens = _check_text(expression)
        compiled, rejected = _zen(expression, compiling)
        if rejected:
            raise _syntax_problem(expression, tokens, rejected)
        try:
            tree = parse(tokens if tokens is not None else tokenize(expression))
        except SyntaxProblem as problem:
            raise Problem(
                f"Herald cannot check this expression yet (unsupported construct: {problem.what})",
                problem.offset,
                "write it more simply, or ask an engineer to extend Herald's ZEN parser",
            ) from None
        return compiled, tree, checks.check(tree, number=number)
    except Problem as problem:
        message, line, column = problem.render(expression)
        raise ExpressionError(message, field=field, line=line, column=column) from None


def _zen(expression: str, compiling: bool) -> tuple[zen.PyExpression | None, dict | None]:
    """zen's verdict on the syntax: the compiled expression (or None) and its refusal (or None)."""
    if not compiling:
        return None, zen.validate_expression(expression)
    try:
        return zen.compile_expression(expression), None
    except RuntimeError as exc:  # the same JSON body validate_expression returns
        text = str(exc).split("\n\nStack backtrace", 1)[0]
        try:
            return None, json.loads(text)
        except ValueError:
            return None, {"source": text}


def _check_text(expression: str) -> list[Token] | None:
    """The limits checked before zen sees the text; its tokens (None if they are invalid)."""
    if len(expression) > MAX_LENGTH:
        raise LimitProblem(
            f"the expression is longer than {MAX_LENGTH} characters", MAX_LENGTH, "split the rule"
        )
    try:
        tokens: list[Token] | None = tokenize(expression)
    except SyntaxProblem:
        tokens = None
    if tokens is None:  # zen will refuse it too; count every bracket character to be safe
        brackets = [(c, i) for i, c in enumerate(expression) if c in "()[]{}"]
    else:
        brackets = [(t.value, t.start) for t in tokens if t.kind is Kind.BRACKET]
    depth = 0
    for bracket, offset in brackets:
        depth = depth + 1 if bracket in "([{" else max(0, depth - 1)
        if depth > MAX_NESTING:
            raise LimitProblem(
                f"brackets nest more than {MAX_NESTING} deep", offset, "simplify the expression"
            )
    if tokens is not None:
        _check_parse_work(tokens)
    return tokens


def _check_parse_work(tokens: list[Token]) -> None:
    """When the text has a range (``..``), zen's parser tries every bracket that opens an
    operand as a possible range before parsing it again as what it is: a token inside k such
    brackets is parsed up to 2^k times (measured: under 1 µs per parse)."""
    if not any(t.kind is Kind.OPERATOR and t.value == ".." for t in tokens):
        return
    work, doubling, opened = 0, 0, []
    previous: Token | None = None
    for token in tokens:
        if token.kind is Kind.BRACKET and token.value in "([{":
            retried = previous is None or not _ends_operand(previous)  # not a call or an index
            opened.append(retried)
            doubling += retried
        work += 2**doubling
        if token.kind is Kind.BRACKET and token.value in ")]}" and opened:
            doubling -= opened.pop()
        if work > MAX_PARSE_WORK:
            raise LimitProblem(
                "this expression nests too many brackets around its ranges to be parsed quickly",
                token.start,
                "use fewer brackets inside brackets",
            )
        previous = token


def _ends_operand(token: Token) -> bool:
    if token.kind is Kind.BRACKET:
        return token.value in ")]}"
    return token.kind in (Kind.LITERAL, Kind.IDENTIFIER, Kind.NUMBER, Kind.BOOLEAN, Kind.QUOTE)


_ZEN_POSITION = re.compile(r" at \((\d+), \d+\)| at (\d+)$")
_ARITY = re.compile(r"(function|method) call `(\w+)`: Invalid number of arguments")


def _syntax_problem(expression: str, tokens: list[Token] | None, rejected: dict) -> Problem:
    """Why zen refused the text, in plain words: this parser's diagnosis (it stops where zen
    first fails, and says more than "Incomplete parser output"), else zen's own words."""
    try:
        parse(tokens if tokens is not None else tokenize(expression))
    except Problem as problem:
        return problem
    source = str(rejected.get("source", rejected))
    if m := _ARITY.search(source):
        kind = n.Call if m.group(1) == "function" else n.MethodCall
        return _arity_problem(expression, kind, m.group(2)) or Problem(source, None)
    offset = None
    if m := _ZEN_POSITION.search(source):
        offset = char_offset(expression, int(m.group(1) or m.group(2)))
        source = source[: m.start()]
    return Problem(f"ZEN refuses this expression ({source})", offset)


def _arity_problem(expression: str, kind: type, name: str) -> Problem | None:
    tree = parse(tokenize(expression))
    for node in n.walk(tree):
        if isinstance(node, kind) and node.name == name:
            low, high = (FUNCTIONS if kind is n.Call else METHODS)[name].arity
            if kind is n.MethodCall:
                low, high = low - 1, high - 1  # the date it is called on
            if not low <= len(node.arguments) <= high:
                takes = f"{low}" if low == high else f"{low} to {high}"
                plural = "" if high == 1 else "s"
                return Problem(
                    f"`{name}` takes {takes} argument{plural}, got {len(node.arguments)}",
                    node.span.start,
                )
    return None
