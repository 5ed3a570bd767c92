"""ZEN's tokenizer, ported from zen-engine's ``core/expression/src/lexer/lexer.rs``.

It mirrors zen's quirks on purpose, because zen decides what is valid: strings have no escapes
(a string ends at the next quote of its kind), ``not in`` is one operator only when written
with single spaces, ``!`` is ``not``, an unterminated template string is closed at the end of
the text, and ``}`` inside a template's ``${ }`` always ends the placeholder. zen counts
positions in bytes; this tokenizer counts characters, which is the same everywhere a character
outside ASCII may appear (inside strings and templates).
"""

from __future__ import annotations

import enum
import re
from typing import NamedTuple

from herald.expressions.problems import SyntaxProblem


class Kind(enum.Enum):
    IDENTIFIER = "identifier"  # the special names: $ $root # null
    BOOLEAN = "boolean"
    NUMBER = "number"
    QUOTE = "quote"  # ' " or `
    LITERAL = "literal"  # a name, or the text inside quotes or between template placeholders
    OPERATOR = "operator"
    BRACKET = "bracket"
    TEMPLATE = "template"  # ${ or the } that ends it


class Token(NamedTuple):
    kind: Kind
    value: str  # canonical: "not" for both `not` and `!`; the text of a literal
    start: int
    end: int
    text: str  # as written


SPECIAL_NAMES = frozenset({"$", "$root", "#", "null"})
_SPACE = frozenset(" \n\t")
_DIGITS = frozenset("0123456789")
_BRACKETS = frozenset("()[]{}")
_OPERATORS = frozenset(",:+-/*^%")
_ALPHA = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz$_#")
_KEYWORDS = {"and": Kind.OPERATOR, "or": Kind.OPERATOR, "in": Kind.OPERATOR}
_WORD = re.compile(r"[A-Za-z$_#][A-Za-z0-9$_#]*")
# zen's number: digits and `_`, one `.` not followed by `.`, then `e`, a sign and digits
_NUMBER = re.compile(r"[0-9][0-9_]*(?:\.(?!\.)[0-9_]*)?(?:e[+-]?[0-9]+)?")


def tokenize(source: str) -> list[Token]:
    """The tokens of ``source``; raises :class:`SyntaxProblem` where zen's lexer fails."""
    tokens: list[Token] = []
    i = 0
    while i < len(source):
        i = _scan(source, i, tokens)
    return tokens


def _push(tokens: list[Token], source: str, kind: Kind, value: str, start: int, end: int):
    tokens.append(Token(kind, value, start, end, source[start:end]))


def _scan(s: str, i: int, tokens: list[Token]) -> int:
    """Scan one token starting at ``i``; return the index after it."""
    c = s[i]
    if c in _SPACE:
        return i + 1
    if c in "'\"":
        return _string(s, i, tokens)
    if c in _DIGITS:
        return _number(s, i, tokens)
    if c in _BRACKETS:
        _push(tokens, s, Kind.BRACKET, c, i, i + 1)
        return i + 1
    if c in "<>!":
        end = i + 2 if s.startswith("=", i + 1) else i + 1
        value = s[i:end]
        _push(tokens, s, Kind.OPERATOR, "not" if value == "!" else value, i, end)
        return end
    if c in _OPERATORS or c == ";":
        _push(tokens, s, Kind.OPERATOR, c, i, i + 1)
        return i + 1
    if c in "?=.":
        doubled = {"?": "??", "=": "==", ".": ".."}[c]
        end = i + 2 if s.startswith(doubled, i) else i + 1
        _push(tokens, s, Kind.OPERATOR, s[i:end], i, end)
        return end
    if c == "`":
        return _template(s, i, tokens)
    if c in _ALPHA:
        return _identifier(s, i, tokens)
    advice = {"&": "write `and`", "|": "write `or`"}.get(c, "")
    shown = f"`{c}`" if c.isprintable() else f"the character U+{ord(c):04X}"
    raise SyntaxProblem(f"{shown} is not allowed in a condition", i, advice)


def _string(s: str, i: int, tokens: list[Token]) -> int:
    quote = s[i]
    end = s.find(quote, i + 1)
    if end < 0:
        raise SyntaxProblem(
            "this text is never closed", i, f"add the closing {quote} (there are no escapes)"
        )
    _push(tokens, s, Kind.QUOTE, quote, i, i + 1)
    _push(tokens, s, Kind.LITERAL, s[i + 1 : end], i + 1, end)
    _push(tokens, s, Kind.QUOTE, quote, end, end + 1)
    return end + 1


def _number(s: str, i: int, tokens: list[Token]) -> int:
    end = _NUMBER.match(s, i).end()
    tokens.append(Token(Kind.NUMBER, s[i:end], i, end, s[i:end]))
    return end


def _identifier(s: str, i: int, tokens: list[Token]) -> int:
    j = _WORD.match(s, i).end()
    word = s[i:j]
    if word in _KEYWORDS:
        _push(tokens, s, _KEYWORDS[word], word, i, j)
    elif word in ("true", "false"):
        _push(tokens, s, Kind.BOOLEAN, word, i, j)
    elif word == "not":
        if s.startswith(" in ", j):  # exactly one space on each side, as zen requires
            _push(tokens, s, Kind.OPERATOR, "not in", i, j + 3)
            return j + 4
        _push(tokens, s, Kind.OPERATOR, "not", i, j)
    elif word in SPECIAL_NAMES:
        _push(tokens, s, Kind.IDENTIFIER, word, i, j)
    else:
        _push(tokens, s, Kind.LITERAL, word, i, j)
    return j


def _template(s: str, i: int, tokens: list[Token]) -> int:
    n = len(s)
    _push(tokens, s, Kind.QUOTE, "`", i, i + 1)
    in_placeholder = False
    text_start = i + 1
    j = i + 1
    while True:
        if j >= n:  # zen closes an unterminated template at the end of the text
            if not in_placeholder and text_start < n:
                _push(tokens, s, Kind.LITERAL, s[text_start:n], text_start, n)
            _push(tokens, s, Kind.QUOTE, "`", n, n)
            return n
        c = s[j]
        if c == "`":
            if text_start < j:
                _push(tokens, s, Kind.LITERAL, s[text_start:j], text_start, j)
            _push(tokens, s, Kind.QUOTE, "`", j, j + 1)
            return j + 1
        if c == "$" and not in_placeholder:
            if s.startswith("{", j + 1):
                in_placeholder = True
                _push(tokens, s, Kind.LITERAL, s[text_start:j], text_start, j)
                _push(tokens, s, Kind.TEMPLATE, "${", j, j + 2)
                j += 2
            else:
                j += 1
        elif c == "}" and in_placeholder:
            in_placeholder = False
            _push(tokens, s, Kind.TEMPLATE, "}", j, j + 1)
            text_start = j + 1
            j += 1
        elif in_placeholder:
            j = _scan(s, j, tokens)
        else:
            j += 1
