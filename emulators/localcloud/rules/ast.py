"""Syntax tree of a rules file. Every node remembers where it started, for error messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Node:
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Literal(Node):
    value: Any


@dataclass(frozen=True, slots=True)
class Ident(Node):
    name: str


@dataclass(frozen=True, slots=True)
class Member(Node):
    target: Expr
    name: str


@dataclass(frozen=True, slots=True)
class Index(Node):
    target: Expr
    index: Expr


@dataclass(frozen=True, slots=True)
class Slice(Node):
    target: Expr
    start: Expr | None
    end: Expr | None


@dataclass(frozen=True, slots=True)
class Call(Node):
    """A call of a global or user-defined function: ``name(args)``."""

    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class MethodCall(Node):
    """``target.name(args)``; ``target`` may be a namespace such as ``math`` or ``timestamp``."""

    target: Expr
    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Unary(Node):
    op: str
    operand: Expr


@dataclass(frozen=True, slots=True)
class Binary(Node):
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class And(Node):
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Or(Node):
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Ternary(Node):
    condition: Expr
    if_true: Expr
    if_false: Expr


@dataclass(frozen=True, slots=True)
class Is(Node):
    operand: Expr
    type_name: str


@dataclass(frozen=True, slots=True)
class ListLit(Node):
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class MapLit(Node):
    entries: tuple[tuple[Expr, Expr], ...]


@dataclass(frozen=True, slots=True)
class PathLit(Node):
    """A raw path; each segment is a tuple of parts, text or ``$(expr)`` interpolations, concatenated."""

    segments: tuple[tuple[str | Expr, ...], ...]


Expr = Literal | Ident | Member | Index | Slice | Call | MethodCall | Unary | Binary | And | Or | Ternary | Is | ListLit | MapLit | PathLit


@dataclass(frozen=True, slots=True)
class LiteralSegment:
    text: str


@dataclass(frozen=True, slots=True)
class WildcardSegment:
    name: str


@dataclass(frozen=True, slots=True)
class RecursiveSegment:
    name: str


PatternSegment = LiteralSegment | WildcardSegment | RecursiveSegment


@dataclass(frozen=True, slots=True)
class Function(Node):
    name: str
    params: tuple[str, ...]
    lets: tuple[tuple[str, Expr], ...]
    body: Expr


@dataclass(frozen=True, slots=True)
class Allow(Node):
    methods: frozenset[str]
    condition: Expr | None
    text: str


@dataclass(frozen=True, slots=True, eq=False)
class Match(Node):
    pattern: tuple[PatternSegment, ...]
    functions: dict[str, Function] = field(default_factory=dict)
    allows: list[Allow] = field(default_factory=list)
    matches: list[Match] = field(default_factory=list)


@dataclass(frozen=True, slots=True, eq=False)
class Service(Node):
    name: str
    functions: dict[str, Function] = field(default_factory=dict)
    matches: list[Match] = field(default_factory=list)


@dataclass(slots=True)
class RulesFile:
    version: str
    services: list[Service]
