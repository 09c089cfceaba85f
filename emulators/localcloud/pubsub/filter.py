"""Subscription filters: Google's attribute filter language, parsed into a predicate (pure).

Supported, as documented for Pub/Sub: ``attributes:KEY`` (has key), ``attributes.KEY =
"v"``, ``attributes.KEY != "v"``, ``hasPrefix(attributes.KEY, "p")``, ``NOT`` / ``-``,
``AND``, ``OR`` and parentheses; ``AND`` and ``OR`` cannot be mixed without parentheses.
Messages that do not match are acknowledged on publish and never delivered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from localcloud.pubsub.rpc import invalid_argument

Predicate = Callable[[Mapping[str, str]], bool]
MAX_FILTER_BYTES = 256

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<op>!=|[():=,\-])
      | (?P<word>[A-Za-z_][A-Za-z0-9_\-]*(?:\.(?:[A-Za-z0-9_\-]+|"(?:[^"\\]|\\.)*"))*)
    )""",
    re.VERBOSE,
)


def _unquote(literal: str) -> str:
    return re.sub(r"\\(.)", r"\1", literal[1:-1])


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise _invalid(text)
        tokens.append(match.group(match.lastgroup or "word"))
        position = match.end()
    return tokens


def _invalid(text: str) -> Exception:
    return invalid_argument(f"Invalid filter: '{text}'.")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.index = 0

    def peek(self) -> str | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise _invalid(self.text)
        self.index += 1
        return token

    def expression(self) -> Predicate:
        terms = [self.term()]
        joiner: str | None = None
        while self.peek() in ("AND", "OR"):
            word = self.take()
            if joiner is not None and word != joiner:
                raise _invalid(self.text)  # AND and OR need parentheses to mix
            joiner = word
            terms.append(self.term())
        if len(terms) == 1:
            return terms[0]
        if joiner == "AND":
            return lambda attributes: all(term(attributes) for term in terms)
        return lambda attributes: any(term(attributes) for term in terms)

    def term(self) -> Predicate:
        token = self.peek()
        if token in ("NOT", "-"):
            self.take()
            inner = self.term()
            return lambda attributes: not inner(attributes)
        if token == "(":
            self.take("(")
            inner = self.expression()
            self.take(")")
            return inner
        if token == "hasPrefix":
            self.take()
            self.take("(")
            key = self.attribute_key(self.take())
            self.take(",")
            prefix = self.string()
            self.take(")")
            return lambda attributes: key in attributes and attributes[key].startswith(prefix)
        word = self.take()
        if word == "attributes" and self.peek() == ":":
            self.take(":")
            has_key = self.key(self.take())
            return lambda attributes: has_key in attributes
        key = self.attribute_key(word)
        operator = self.take()
        if operator not in ("=", "!="):
            raise _invalid(self.text)
        value = self.string()
        if operator == "=":
            return lambda attributes: attributes.get(key) == value
        return lambda attributes: key not in attributes or attributes[key] != value

    def attribute_key(self, word: str) -> str:
        if not word.startswith("attributes."):
            raise _invalid(self.text)
        return self.key(word.removeprefix("attributes."))

    def key(self, word: str) -> str:
        if word.startswith('"') and word.endswith('"') and len(word) >= 2:
            return _unquote(word)
        if not word or word.startswith("attributes"):
            raise _invalid(self.text)
        return word

    def string(self) -> str:
        token = self.take()
        if not (token.startswith('"') and token.endswith('"') and len(token) >= 2):
            raise _invalid(self.text)
        return _unquote(token)


def compile_filter(text: str) -> Predicate:
    """A predicate over message attributes; INVALID_ARGUMENT for a malformed filter."""
    if len(text.encode()) > MAX_FILTER_BYTES:
        raise invalid_argument(f"Invalid filter: longer than {MAX_FILTER_BYTES} bytes.")
    parser = _Parser(text)
    predicate = parser.expression()
    if parser.peek() is not None:
        raise _invalid(text)
    return predicate
