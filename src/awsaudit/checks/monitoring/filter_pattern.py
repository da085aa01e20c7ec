"""CloudWatch Logs filter patterns: parse one, and tell whether a log event matches it.

Monitoring checks must decide what a metric filter really catches, not compare its text with a
reference: `{($.eventName=StopLogging)||($.eventName=DeleteTrail)}` and
`{ $.eventName = "DeleteTrail" || $.eventName = "StopLogging" }` are the same filter. So the
pattern is parsed into a tree and evaluated against sample events.

Supported (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html):
- JSON patterns `{ ... }`: selectors `$.a.b[0]`; `=` and `!=` on strings (quoted or bare, `*` as
  wildcard anywhere) and numbers; `<`, `>`, `<=`, `>=` on numbers; `%regex%` values; `IS NULL`,
  `NOT EXISTS`, `EXISTS`, `IS TRUE`, `IS FALSE`; `&&`, `||` and parentheses.
- Term patterns on the raw message (a CloudTrail record delivered as compact JSON): bare or
  quoted terms that must all appear, `?term` alternatives, `-term` exclusions; the empty pattern
  matches every event.
Space-delimited `[...]` patterns do not fit JSON events and are refused (PatternError).

Semantics chosen where AWS's documentation is silent, each the conservative reading:
- A comparison on a field the event does not have is false, for `!=` as well (that is why the CIS
  patterns say `NOT EXISTS` explicitly).
- `&&` binds tighter than `||`, as in most languages. The CIS "unauthorized API calls" pattern
  mixes them without parentheses; our sample events match it under either reading.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from operator import ge, gt, le, lt
from typing import Any

import re2  # type: ignore[import-untyped]

from awsaudit.iam.patterns import PlainGlob
from awsaudit.model import Json

Path = tuple[str | int, ...]
COMPARISONS = ("=", "!=", "<", ">", "<=", ">=")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_MISSING = object()
_ORDER = {"<": lt, ">": gt, "<=": le, ">=": ge}


class PatternError(ValueError):
    """The pattern is not valid filter pattern syntax (or not a kind we evaluate)."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} at position {position}")
        self.position = position


@dataclass(frozen=True, slots=True)
class Value:
    """The right-hand side of a comparison, as written."""

    text: str
    kind: str  # "string" (quoted), "bare" (unquoted word or number), "regex" (%...%)

    def matches_text(self, actual: str) -> bool:
        if self.kind == "regex":
            return _compiled(self.text).search(actual) is not None
        return _wildcard(self.text).matches(actual)


@dataclass(frozen=True, slots=True)
class Condition:
    path: Path
    operator: str  # a comparison, or "IS NULL", "NOT EXISTS", "EXISTS", "IS TRUE", "IS FALSE"
    value: Value | None = None

    def matches(self, event: Json) -> bool:
        found = _resolve(event, self.path)
        if self.operator == "NOT EXISTS":
            return found is _MISSING
        if found is _MISSING:
            return False
        if self.operator == "EXISTS":
            return True
        if self.operator == "IS NULL":
            return found is None
        if self.operator in {"IS TRUE", "IS FALSE"}:
            return found is (self.operator == "IS TRUE")
        assert self.value is not None
        if self.operator in {"=", "!="}:
            equal = _equals(found, self.value)
            if equal is None:  # objects, arrays, null: neither equal nor different
                return False
            return equal if self.operator == "=" else not equal
        return _numeric(found, self.operator, float(self.value.text))


@dataclass(frozen=True, slots=True)
class Both:
    parts: tuple[Expression, ...]

    def matches(self, event: Json) -> bool:
        return all(part.matches(event) for part in self.parts)


@dataclass(frozen=True, slots=True)
class Either:
    parts: tuple[Expression, ...]

    def matches(self, event: Json) -> bool:
        return any(part.matches(event) for part in self.parts)


Expression = Condition | Both | Either


@dataclass(frozen=True, slots=True)
class JsonPattern:
    expression: Expression

    def matches(self, event: Json) -> bool:
        return self.expression.matches(event)


@dataclass(frozen=True, slots=True)
class TermPattern:
    """Terms on the raw message: all `required`, at least one `optional` (if any), no `excluded`."""

    required: tuple[Value, ...] = ()
    optional: tuple[Value, ...] = ()
    excluded: tuple[Value, ...] = ()

    def matches(self, event: Json) -> bool:
        message = json.dumps(event, separators=(",", ":"))
        present = [_contains(message, term) for term in (*self.required, *self.optional, *self.excluded)]
        n, m = len(self.required), len(self.optional)
        required, optional, excluded = present[:n], present[n:n + m], present[n + m:]
        return all(required) and (not optional or any(optional)) and not any(excluded)


Pattern = JsonPattern | TermPattern


def parse(text: str) -> Pattern:
    """Parse a filter pattern; raises PatternError with the position of the problem."""
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            return JsonPattern(_Parser(text).pattern())
        except RecursionError:  # thousands of nested parentheses (the parser descends per level)
            raise PatternError("nested too deeply", 0) from None
    if stripped.startswith("["):
        raise PatternError("space-delimited patterns do not apply to JSON (CloudTrail) events",
                           text.index("["))
    return _terms(text)


def matches(text: str, event: Json) -> bool:
    """Does the pattern match the event? Raises PatternError for a malformed pattern."""
    return parse(text).matches(event)


# --- evaluation helpers


def _resolve(event: Any, path: Path) -> Any:
    current = event
    for step in path:
        if isinstance(step, int):
            if not isinstance(current, list) or not -len(current) <= step < len(current):
                return _MISSING
            current = current[step]
        elif isinstance(current, dict) and step in current:
            current = current[step]
        else:
            return _MISSING
    return current


def _wildcard(text: str) -> PlainGlob:
    """`*` anywhere, matched without backtracking (a pattern comes from the audited account);
    PlainGlob splits at `*` only, so `?` stays a literal character, as CloudWatch reads it."""
    return PlainGlob(text)


def _re2_options() -> Any:
    options = re2.Options()
    options.log_errors = False  # a bad pattern is a PatternError, not a line on stderr
    return options


_OPTIONS = _re2_options()


@lru_cache(maxsize=1024)
def _compiled(text: str) -> Any:
    """A `%regex%` value on RE2: linear time, so `%(a+)+$%` cannot hang the audit on a long field."""
    return re2.compile(text, options=_OPTIONS)


def _equals(actual: Any, value: Value) -> bool | None:
    if isinstance(actual, bool):
        return value.kind != "regex" and value.text == ("true" if actual else "false")
    if isinstance(actual, int | float):
        if value.kind == "bare" and NUMBER.match(value.text):
            return float(actual) == float(value.text)
        return value.matches_text(json.dumps(actual))
    if isinstance(actual, str):
        return value.matches_text(actual)
    return None


def _numeric(actual: Any, operator: str, limit: float) -> bool:
    if isinstance(actual, bool) or not isinstance(actual, int | float):
        return False
    return bool(_ORDER[operator](float(actual), limit))


def _contains(message: str, term: Value) -> bool:
    if term.kind == "regex":
        return _compiled(term.text).search(message) is not None
    return term.text in message


# --- term patterns


_TERM = re.compile(r'\s*([?-]?)(?:"((?:[^"\\]|\\.)*)"|%((?:[^%\\]|\\.)*)%|([^\s"]+))')


def _terms(text: str) -> TermPattern:
    groups: dict[str, list[Value]] = {"": [], "?": [], "-": []}
    position = 0
    while text[position:].strip():
        found = _TERM.match(text, position)
        if found is None:
            raise PatternError("unterminated quoted term", position)
        prefix, quoted, regex, bare = found.groups()
        if quoted is not None:
            value = Value(_unescape(quoted), "string")
        elif regex is not None:
            value = Value(_regex(regex, position), "regex")
        else:
            value = Value(bare, "bare")
        groups[prefix].append(value)
        position = found.end()
    return TermPattern(tuple(groups[""]), tuple(groups["?"]), tuple(groups["-"]))


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _regex(text: str, position: int) -> str:
    try:
        _compiled(text)
    except re2.error as exc:
        why = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else exc
        raise PatternError(f"invalid regular expression %{text}%: {why}", position) from None
    return text


# --- JSON patterns: tokenizer and recursive-descent parser


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "{", "}", "(", ")", "&&", "||", "op", "selector", "string", "regex", "word", "end"
    text: str
    position: int


_SYMBOLS = ("&&", "||", "!=", "<=", ">=", "=", "<", ">", "{", "}", "(", ")")
_WORD_END = set(' \t\r\n(){}&|=!<>"')
_SELECTOR_END = _WORD_END | {"[", "]", "."}


def _tokens(text: str) -> Iterator[_Token]:
    i = 0
    while i < len(text):
        char = text[i]
        if char.isspace():
            i += 1
            continue
        symbol = next((s for s in _SYMBOLS if text.startswith(s, i)), None)
        if symbol is not None:
            kind = "op" if symbol in COMPARISONS else symbol
            yield _Token(kind, symbol, i)
            i += len(symbol)
        elif char == '"':
            end = _closing(text, i, '"', "unterminated string")
            yield _Token("string", _unescape(text[i + 1:end]), i)
            i = end + 1
        elif char == "%":
            end = _closing(text, i, "%", "unterminated regular expression")
            yield _Token("regex", _regex(text[i + 1:end], i), i)
            i = end + 1
        elif char == "$":
            end = _selector_end(text, i)
            yield _Token("selector", text[i:end], i)
            i = end
        else:
            end = i
            while end < len(text) and text[end] not in _WORD_END:
                end += 1
            if end == i:
                raise PatternError(f"unexpected character {char!r}", i)
            yield _Token("word", text[i:end], i)
            i = end
    yield _Token("end", "", len(text))


def _closing(text: str, start: int, quote: str, problem: str) -> int:
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            return i
        i += 1
    raise PatternError(problem, start)


def _selector_end(text: str, start: int) -> int:
    i = start + 1
    while i < len(text) and text[i] not in _WORD_END - {"."}:
        if text[i] == "[":
            close = text.find("]", i)
            if close < 0:
                raise PatternError("unclosed [ in selector", i)
            i = close + 1
        else:
            i += 1
    return i


def _path(selector: _Token) -> Path:
    """`$.a.b[0].c` -> ("a", "b", 0, "c")."""
    steps: list[str | int] = []
    rest = selector.text[1:]
    for match in re.finditer(r"\.([^.\[\]]+)|\[(\d+)\]|(.)", rest):
        name, index, junk = match.groups()
        if junk is not None:
            raise PatternError(f"malformed selector {selector.text!r}", selector.position + 1 + match.start())
        steps.append(name if name is not None else int(index))
    if not steps:
        raise PatternError(f"selector {selector.text!r} names no field", selector.position)
    return tuple(steps)


class _Parser:
    """pattern := '{' or '}';  or := and ('||' and)*;  and := unary ('&&' unary)*;
    unary := '(' or ')' | condition;  condition := selector (op value | IS NULL|TRUE|FALSE
    | NOT EXISTS | EXISTS)."""

    def __init__(self, text: str) -> None:
        self.tokens = list(_tokens(text))
        self.index = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def take(self, kind: str, what: str) -> _Token:
        token = self.current
        if token.kind != kind:
            found = "end of pattern" if token.kind == "end" else repr(token.text)
            raise PatternError(f"expected {what}, found {found}", token.position)
        self.index += 1
        return token

    def pattern(self) -> Expression:
        self.take("{", "'{'")
        expression = self.either()
        self.take("}", "'}' or an operator")
        self.take("end", "end of pattern after '}'")
        return expression

    def either(self) -> Expression:
        parts = [self.both()]
        while self.current.kind == "||":
            self.index += 1
            parts.append(self.both())
        return parts[0] if len(parts) == 1 else Either(tuple(parts))

    def both(self) -> Expression:
        parts = [self.unary()]
        while self.current.kind == "&&":
            self.index += 1
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else Both(tuple(parts))

    def unary(self) -> Expression:
        if self.current.kind == "(":
            self.index += 1
            inner = self.either()
            self.take(")", "')' or an operator")
            return inner
        return self.condition()

    def condition(self) -> Condition:
        selector = self.take("selector", "a selector like $.eventName or '('")
        path = _path(selector)
        token = self.current
        if token.kind == "op":
            self.index += 1
            value = self.value()
            if token.text not in {"=", "!="} and not (value.kind == "bare" and NUMBER.match(value.text)):
                raise PatternError(f"{token.text} needs a number, found {value.text!r}", token.position)
            return Condition(path, token.text, value)
        words = self.keywords()
        if words in {"IS NULL", "IS TRUE", "IS FALSE", "NOT EXISTS", "EXISTS"}:
            return Condition(path, words)
        raise PatternError(f"expected an operator after {selector.text}", token.position)

    def keywords(self) -> str:
        words: list[str] = []
        while self.current.kind == "word" and self.current.text.upper() in {
                "IS", "NOT", "NULL", "EXISTS", "TRUE", "FALSE"} and len(words) < 2:
            words.append(self.current.text.upper())
            self.index += 1
            if words[-1] in {"EXISTS", "NULL", "TRUE", "FALSE"}:
                break
        return " ".join(words)

    def value(self) -> Value:
        token = self.current
        if token.kind in {"string", "regex", "word"}:
            self.index += 1
            return Value(token.text, "bare" if token.kind == "word" else token.kind)
        found = "end of pattern" if token.kind == "end" else repr(token.text)
        raise PatternError(f"expected a value, found {found}", token.position)
