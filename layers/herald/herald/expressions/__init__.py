"""Rule conditions: GoRules ZEN expressions (zen-engine), checked on save, evaluated in a budget.

Conditions are written by marketers and run on every event, so they are untrusted input. zen
decides what is valid ZEN; Herald then parses the same text with a faithful port of zen's parser
(:mod:`.tokens`, :mod:`.parser`, :mod:`.nodes`) and checks the tree (:mod:`.checks`).

Bounded statically, at save (:func:`validate`, :func:`compile_condition`):
  * the text: 4,096 characters, brackets nested 8 deep and a bound on zen's parsing work
    (checked before zen parses it: zen's parser is exponential in bracket nesting when the
    text has a range), 1,000 nodes, 64 levels;
  * the meaning: no assignment (``=``, ``;``), names start from ``event``, ``customer`` or
    ``now``, operands of a known wrong type are refused, the result must be true or false;
  * the work that does not depend on the event: closure functions (map, filter, count, …)
    nest at most 2 deep; a range used as a list (``map([1..n], …)``) has literal bounds and at
    most 10,000 numbers (``x in [a..b]`` is a comparison and has no limit); and the cost model
    (:mod:`.budget`) on an event with empty lists must fit the budget.

Bounded at run time (:meth:`Condition.evaluate`): a condition whose closure functions go over
(or read) event or profile data can cost size × size × … of that data, known only when the event
arrives. Such a condition is ``bounded = False``; before each evaluation the cost model
estimates its steps on the actual context, and a condition over :data:`BUDGET` raises
:class:`BudgetExceeded` instead of running. Every other condition (``bounded = True``, most
rules) reads each value a fixed number of times, so its cost is linear in the event's size,
like the conversion of the context itself: it is evaluated directly, with no estimate.

Why an estimate and not a timeout: ``compiled.evaluate`` is one call into Rust that holds the
GIL and cannot be interrupted from Python (no signal handler runs until it returns), and a
thread or a subprocess per evaluation would cost far more than the evaluation. So the cost is
checked *before* the call. Memory is bounded by the same model: a materialised list's size is
part of the estimate.

Evaluating a compiled expression costs mostly the conversion of its context from Python to
Rust, so each condition records the context paths it reads (:attr:`Condition.paths`) and the
engine passes a context projected to those paths (:func:`plan`, :func:`project`).
"""

from herald.expressions.budget import BUDGET
from herald.expressions.checks import MAX_CLOSURE_NESTING, MAX_DEPTH, MAX_NODES, MAX_RANGE
from herald.expressions.condition import (
    MAX_LENGTH,
    MAX_NESTING,
    MAX_PARSE_WORK,
    Condition,
    compile_condition,
    compile_value,
    read_paths,
    validate,
)
from herald.expressions.errors import (
    BudgetExceeded,
    EvaluationError,
    ExpressionError,
    describe_error,
)
from herald.expressions.projection import plan, project
from herald.expressions.references import MAX_PATH_DEPTH, ROOTS, Reference

__all__ = [
    "BUDGET",
    "MAX_CLOSURE_NESTING",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_NESTING",
    "MAX_NODES",
    "MAX_PARSE_WORK",
    "MAX_PATH_DEPTH",
    "MAX_RANGE",
    "ROOTS",
    "BudgetExceeded",
    "Condition",
    "EvaluationError",
    "ExpressionError",
    "Reference",
    "compile_condition",
    "compile_value",
    "describe_error",
    "plan",
    "project",
    "read_paths",
    "validate",
]
