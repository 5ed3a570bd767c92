"""What is wrong with a condition and where: a :class:`Problem` names a position in its text.

The tokenizer, the parser and the checks raise a Problem with a character offset; ``validate``
turns it into an :class:`~herald.expressions.errors.ExpressionError` whose message says the
line and column (1-based) a marketer must look at.
"""

from __future__ import annotations


class Problem(Exception):
    """``what`` happened at ``offset`` (a character index); ``advice`` says what to do instead."""

    def __init__(self, what: str, offset: int | None, advice: str = ""):
        super().__init__(what)
        self.what = what
        self.offset = offset
        self.advice = advice

    def render(self, source: str) -> tuple[str, int | None, int | None]:
        """The message a marketer reads, with the line and column it names (when known)."""
        line = column = None
        message = self.what
        if self.offset is not None:
            line, column = position(source, self.offset)
            message += f" at line {line}, column {column}"
        if self.advice:
            message += f": {self.advice}"
        return message, line, column


class SyntaxProblem(Problem):
    """The text is not a ZEN expression (the parser backtracks over these, as zen does)."""


class LimitProblem(Problem):
    """The text is too big or nests too deeply to be checked (never backtracked over)."""


def position(source: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of a character offset."""
    offset = max(0, min(offset, len(source)))
    line = source.count("\n", 0, offset) + 1
    column = offset - (source.rfind("\n", 0, offset) + 1) + 1
    return line, column


def char_offset(source: str, byte_offset: int) -> int:
    """zen counts positions in UTF-8 bytes; Herald counts characters."""
    return len(source.encode()[:byte_offset].decode(errors="ignore"))
