"""The typed errors of conditions: refused at save, over budget or failing at run time."""

from __future__ import annotations

import json
import re

from herald.domain.document import PositionedError
from herald.errors import HeraldError


class ExpressionError(PositionedError):
    """A condition refused at save; ``line``/``column`` (1-based) mark where, when known."""

    code = "invalid_expression"


class BudgetExceeded(HeraldError):
    """The cost model says this condition would take too long on this event: not evaluated."""

    code = "over_budget"
    status = 422

    def __init__(self, steps: int, budget: int):
        super().__init__(
            f"this condition would take ~{steps:,} steps on this event (budget {budget:,}): skipped"
        )
        self.steps = steps
        self.budget = budget


class EvaluationError(HeraldError):
    """zen failed on this event (a value of the wrong type, mostly)."""

    code = "evaluation_error"
    status = 422


# zen's VM errors name an opcode; say which part of the condition that is.
_OPCODES = {
    "Compare": "`<`, `>`, `<=` or `>=` got a value that is not a number or a date",
    "JumpIfFalse": "`and` or `? :` got a value that is not true or false",
    "JumpIfTrue": "`or` got a value that is not true or false",
    "Not": "`not` got a value that is not true or false",
    "Negate": "`-` got a value that is not a number",
    "In": "`in` got a value it cannot look into",
    "Begin": "a function that goes over a list (map, filter, …) did not get a list",
    "Add": "`+` got values it cannot add or join",
    "Subtract": "`-` got a value that is not a number",
    "Multiply": "`*` got a value that is not a number",
    "Divide": "`/` got a value that is not a number",
    "Modulo": "`%` got a value that is not a number",
    "Exponent": "`^` got a value that is not a number",
    "Slice": "a slice [a:b] got something it cannot slice",
    "Interval": "a range [a..b] got bounds that are not numbers or dates",
}
_OPCODE = re.compile(r"^Opcode (\w+): (.*)$", re.S)
_FUNCTION = re.compile(
    r"^Opcode Call(?:Function|Method): (?:Function|Method) `(\w+)` failed: (.*)$", re.S
)


def describe_error(exc: RuntimeError) -> str:
    """zen-engine raises RuntimeError with a JSON body and a Rust backtrace: say it plainly."""
    text = str(exc).split("\n\nStack backtrace", 1)[0].strip()
    try:
        body = json.loads(text)
    except ValueError:
        return text[:300]
    source = str(body.get("source", body)) if isinstance(body, dict) else str(body)
    if m := _FUNCTION.match(source):
        return f"`{m.group(1)}` failed: {m.group(2)}"[:300]
    if (m := _OPCODE.match(source)) and m.group(1) in _OPCODES:
        return f"{_OPCODES[m.group(1)]} ({m.group(2)})"[:300]
    return source[:300]
