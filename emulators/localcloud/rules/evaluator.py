"""Evaluation of rules expressions with Google's error semantics.

An expression either has a value or is an error (:class:`RulesEvalError`). ``&&`` and ``||`` absorb an error
when the other operand alone decides the result (``error || true`` is ``true``, ``error && false`` is
``false``); everything else propagates the error, and an ``allow`` whose condition is an error grants
nothing. List queries evaluate ``resource`` symbolically: a :class:`SymbolicMap` knows only the fields the
query pins with equality, and reading anything else is an :class:`UnprovableError`, handled like an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from localcloud.rules import ast, stdlib
from localcloud.rules.values import (
    AccessLimitError,
    Path,
    RulesEvalError,
    Unknown,
    UnprovableError,
    type_name,
    values_equal,
)

MAX_CALL_DEPTH = 20
MAX_EXPRESSIONS = 1000


class DataAccess(Protocol):
    """What ``get()``/``exists()`` (before the write) and ``getAfter()``/``existsAfter()`` read.

    Paths are document paths relative to the database's documents root (``salons/s1/staff/u1``);
    the result is the document's fields or ``None`` when it does not exist.
    """

    def get(self, path: str) -> dict[str, Any] | None: ...

    def get_after(self, path: str) -> dict[str, Any] | None: ...


class NoData:
    """Data access for callers that have no database: every document is missing."""

    def get(self, path: str) -> dict[str, Any] | None:
        return None

    def get_after(self, path: str) -> dict[str, Any] | None:
        return None


class SymbolicMap(Unknown):
    """A document's fields as far as a list query's equality constraints pin them."""

    __slots__ = ("known",)

    def __init__(self, what: str, known: dict[str, Any]) -> None:
        super().__init__(what)
        self.known = known

    def field(self, name: str) -> Any:
        if name in self.known:
            return self.known[name]
        raise UnprovableError(f"{self.what}.{name} is not constrained by the query")


class SymbolicResource(Unknown):
    """``resource`` of a list query: it exists (queries return existing documents) but is otherwise open."""

    __slots__ = ("data",)

    def __init__(self, data: SymbolicMap) -> None:
        super().__init__("resource")
        self.data = data

    def field(self, name: str) -> Any:
        if name == "data":
            return self.data
        raise UnprovableError(f"resource.{name} is not constrained by the query")


@dataclass(slots=True)
class AccessBudget:
    """Document access calls left for one request (Google: 10 per document, 20 per multi-document request).

    Repeated reads of the same document within a request are served from a cache and not counted.
    """

    per_operation: int = 10
    per_request: int = 10
    used_by_request: int = 0
    cache: dict[tuple[str, str], dict[str, Any] | None] = field(default_factory=dict)


@dataclass(slots=True)
class Scope:
    functions: dict[str, ast.Function]
    variables: dict[str, Any]


@dataclass(slots=True)
class Context:
    database: str
    data: DataAccess
    budget: AccessBudget
    used_by_operation: int = 0
    limit_exceeded: bool = False
    steps: int = 0
    debug: list[str] = field(default_factory=list)


class Evaluator:
    """Evaluates expressions inside the scopes of one matched ``match`` block."""

    def __init__(self, context: Context, scopes: list[Scope]) -> None:
        self.context = context
        self.scopes = scopes
        self.depth = 0

    # -- entry points ----------------------------------------------------------------------------
    def condition(self, expr: ast.Expr) -> bool:
        """``True`` only for a condition that evaluates to exactly ``true``."""
        value = self.eval(expr, self.variables_up_to(len(self.scopes) - 1))
        return value is True

    def variables_up_to(self, level: int) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for scope in self.scopes[: level + 1]:
            merged.update(scope.variables)
        return merged

    def eval(self, expr: ast.Expr, env: dict[str, Any]) -> Any:
        context = self.context
        context.steps += 1
        if context.steps > MAX_EXPRESSIONS:
            raise RulesEvalError(f"more than {MAX_EXPRESSIONS} expressions evaluated")
        return _DISPATCH[type(expr)](self, expr, env)

    # -- nodes -------------------------------------------------------------------------------------
    def _literal(self, expr: ast.Literal, env: dict[str, Any]) -> Any:
        return expr.value

    def _ident(self, expr: ast.Ident, env: dict[str, Any]) -> Any:
        try:
            return env[expr.name]
        except KeyError:
            raise RulesEvalError(f"unknown variable {expr.name!r} at {expr.line}:{expr.column}") from None

    def _member(self, expr: ast.Member, env: dict[str, Any]) -> Any:
        return self.member(self.eval(expr.target, env), expr.name, expr)

    def member(self, target: Any, name: str, where: ast.Node) -> Any:
        if type(target) is dict:
            try:
                return target[name]
            except KeyError:
                raise RulesEvalError(f"property {name!r} is undefined at {where.line}:{where.column}") from None
        if isinstance(target, SymbolicMap | SymbolicResource):
            return target.field(name)
        if target is None:
            raise RulesEvalError(f"null value has no property {name!r} at {where.line}:{where.column}")
        raise RulesEvalError(f"{type_name(target)} has no property {name!r} at {where.line}:{where.column}")

    def _index(self, expr: ast.Index, env: dict[str, Any]) -> Any:
        target = self.eval(expr.target, env)
        index = self.eval(expr.index, env)
        if isinstance(target, SymbolicMap):
            return target.field(stdlib.expect(index, "string"))
        kind = type_name(target)
        if kind == "map":
            return self.member(target, stdlib.expect(index, "string"), expr)
        if kind in ("list", "path"):
            items = target if kind == "list" else target.segments
            position = stdlib.expect_int(index)
            if not 0 <= position < len(items):
                raise RulesEvalError(f"index {position} out of range at {expr.line}:{expr.column}")
            return items[position]
        raise RulesEvalError(f"cannot index {kind} at {expr.line}:{expr.column}")

    def _slice(self, expr: ast.Slice, env: dict[str, Any]) -> Any:
        target = self.eval(expr.target, env)
        kind = type_name(target)
        if kind not in ("list", "string"):
            raise RulesEvalError(f"cannot slice {kind}")
        start = 0 if expr.start is None else stdlib.expect_int(self.eval(expr.start, env))
        end = len(target) if expr.end is None else stdlib.expect_int(self.eval(expr.end, env))
        if not 0 <= start <= end <= len(target):
            raise RulesEvalError(f"slice [{start}:{end}] out of range at {expr.line}:{expr.column}")
        return target[start:end]

    def _unary(self, expr: ast.Unary, env: dict[str, Any]) -> Any:
        value = self.eval(expr.operand, env)
        if expr.op == "!":
            if type(value) is not bool:
                raise RulesEvalError(f"'!' needs a bool, got {type_name(value)}")
            return not value
        kind = type_name(value)
        if kind == "int":
            return stdlib.check_int(-value)
        if kind == "float":
            return -value
        if kind == "duration":
            return type(value)(-value.nanos_total)
        raise RulesEvalError(f"cannot negate {kind}")

    def _binary(self, expr: ast.Binary, env: dict[str, Any]) -> Any:
        left = self.eval(expr.left, env)
        right = self.eval(expr.right, env)
        op = expr.op
        if op == "==":
            return self.equal(left, right)
        if op == "!=":
            return not self.equal(left, right)
        if op == "in":
            if isinstance(right, SymbolicMap):
                right.field(stdlib.expect(left, "string"))
                return True
            return stdlib.membership(left, right)
        return _BINARY[op](left, right) if op in _BINARY else stdlib.compare(op, left, right)

    @staticmethod
    def equal(left: Any, right: Any) -> bool:
        # A list query only returns existing documents: ``resource != null`` holds for all of them.
        if isinstance(left, SymbolicResource) and right is None:
            return False
        if isinstance(right, SymbolicResource) and left is None:
            return False
        return values_equal(left, right)

    def _and(self, expr: ast.And, env: dict[str, Any]) -> Any:
        return self.logical(expr, env, decisive=False)

    def _or(self, expr: ast.Or, env: dict[str, Any]) -> Any:
        return self.logical(expr, env, decisive=True)

    def logical(self, expr: ast.And | ast.Or, env: dict[str, Any], decisive: bool) -> bool:
        """``&&`` (decisive value false) and ``||`` (decisive value true) with error absorption."""
        try:
            left = self.eval(expr.left, env)
            if type(left) is not bool:
                raise RulesEvalError(f"logical operator needs bool, got {type_name(left)}")
        except AccessLimitError:
            raise
        except RulesEvalError as left_error:
            right = self.eval(expr.right, env)
            if right is decisive:
                return decisive
            raise left_error from None
        if left is decisive:
            return decisive
        right = self.eval(expr.right, env)
        if type(right) is not bool:
            raise RulesEvalError(f"logical operator needs bool, got {type_name(right)}")
        return right

    def _ternary(self, expr: ast.Ternary, env: dict[str, Any]) -> Any:
        condition = self.eval(expr.condition, env)
        if type(condition) is not bool:
            raise RulesEvalError(f"ternary condition must be bool, got {type_name(condition)}")
        return self.eval(expr.if_true if condition else expr.if_false, env)

    def _is(self, expr: ast.Is, env: dict[str, Any]) -> Any:
        value = self.eval(expr.operand, env)
        if isinstance(value, SymbolicMap):
            return expr.type_name == "map"
        return stdlib.is_type(value, expr.type_name)

    def _list(self, expr: ast.ListLit, env: dict[str, Any]) -> Any:
        return [self.eval(item, env) for item in expr.items]

    def _map(self, expr: ast.MapLit, env: dict[str, Any]) -> Any:
        result: dict[str, Any] = {}
        for key_expr, value_expr in expr.entries:
            key = stdlib.expect(self.eval(key_expr, env), "string")
            result[key] = self.eval(value_expr, env)
        return result

    def _path(self, expr: ast.PathLit, env: dict[str, Any]) -> Path:
        segments: list[str] = []
        for parts in expr.segments:
            pieces: list[str] = []
            for part in parts:
                if isinstance(part, str):
                    pieces.append(part)
                    continue
                value = self.eval(part, env)
                kind = type_name(value)
                if kind == "path" and len(parts) == 1:
                    segments.extend(value.segments)
                    break
                if kind not in ("string", "int"):
                    raise RulesEvalError(f"cannot interpolate {kind} into a path at {expr.line}:{expr.column}")
                pieces.append(str(value))
            else:
                text = "".join(pieces)
                if not text or "/" in text:
                    raise RulesEvalError(f"invalid path segment {text!r}")
                segments.append(text)
        return Path(tuple(segments))

    # -- calls -----------------------------------------------------------------------------------------
    def _call(self, expr: ast.Call, env: dict[str, Any]) -> Any:
        found = self.find_function(expr.name)
        if found is not None:
            function, level = found
            return self.call_user(function, level, [self.eval(arg, env) for arg in expr.args], expr)
        builtin = _GLOBALS.get(expr.name)
        if builtin is None:
            raise RulesEvalError(f"unknown function {expr.name!r} at {expr.line}:{expr.column}")
        return builtin(self, [self.eval(arg, env) for arg in expr.args])

    def find_function(self, name: str) -> tuple[ast.Function, int] | None:
        for level in range(len(self.scopes) - 1, -1, -1):
            function = self.scopes[level].functions.get(name)
            if function is not None:
                return function, level
        return None

    def call_user(self, function: ast.Function, level: int, args: list[Any], where: ast.Node) -> Any:
        if len(args) != len(function.params):
            raise RulesEvalError(
                f"{function.name}() takes {len(function.params)} arguments, got {len(args)} at {where.line}:{where.column}"
            )
        if self.depth >= MAX_CALL_DEPTH:
            raise RulesEvalError(f"function call depth exceeds {MAX_CALL_DEPTH}")
        # A function sees the variables of the scope it is defined in, not of its caller.
        env = self.variables_up_to(level)
        env.update(zip(function.params, args, strict=True))
        self.depth += 1
        try:
            for name, value_expr in function.lets:
                env[name] = self.eval(value_expr, env)
            return self.eval(function.body, env)
        finally:
            self.depth -= 1

    def _method(self, expr: ast.MethodCall, env: dict[str, Any]) -> Any:
        target_expr = expr.target
        if type(target_expr) is ast.Ident and target_expr.name in stdlib.NAMESPACES and target_expr.name not in env:
            function = stdlib.NAMESPACES[target_expr.name].get(expr.name)
            if function is None:
                raise RulesEvalError(f"unknown function {target_expr.name}.{expr.name}")
            return self.apply(function, [self.eval(arg, env) for arg in expr.args], expr)
        target = self.eval(target_expr, env)
        args = [self.eval(arg, env) for arg in expr.args]
        if isinstance(target, SymbolicMap):
            return self.symbolic_method(target, expr.name, args)
        methods = stdlib.METHODS_BY_TYPE.get(type_name(target), {})
        method = methods.get(expr.name)
        if method is None:
            raise RulesEvalError(f"{type_name(target)} has no method {expr.name}() at {expr.line}:{expr.column}")
        return self.apply(method, [target, *args], expr)

    @staticmethod
    def symbolic_method(target: SymbolicMap, name: str, args: list[Any]) -> Any:
        if name == "get" and len(args) == 2 and type_name(args[0]) == "string":
            return target.field(args[0])
        raise UnprovableError(f"{target.what}.{name}() depends on fields the query does not constrain")

    @staticmethod
    def apply(function: Callable[..., Any], args: list[Any], where: ast.Node) -> Any:
        try:
            return function(*args)
        except TypeError as error:
            raise RulesEvalError(f"wrong arguments at {where.line}:{where.column}: {error}") from None

    # -- document access -----------------------------------------------------------------------------
    def read_document(self, value: Any, after: bool) -> dict[str, Any] | None:
        path = stdlib.expect(value, "path")
        segments = path.segments
        if len(segments) < 3 or segments[0] != "databases" or segments[2] != "documents":
            raise RulesEvalError(f"get()/exists() need /databases/{{db}}/documents/... paths, got {path}")
        if segments[1] != self.context.database:
            raise RulesEvalError(f"cannot read another database: {path}")
        relative = segments[3:]
        if not relative or len(relative) % 2:
            raise RulesEvalError(f"not a document path: {path}")
        key = ("after" if after else "before", "/".join(relative))
        context = self.context
        budget = context.budget
        if key in budget.cache:
            return budget.cache[key]
        if context.used_by_operation >= budget.per_operation or budget.used_by_request >= budget.per_request:
            context.limit_exceeded = True
            raise AccessLimitError("too many document access calls (get/exists/getAfter/existsAfter)")
        context.used_by_operation += 1
        budget.used_by_request += 1
        document = context.data.get_after(key[1]) if after else context.data.get(key[1])
        budget.cache[key] = document
        return document

    def resource_of(self, value: Any, after: bool) -> dict[str, Any]:
        document = self.read_document(value, after)
        if document is None:
            raise RulesEvalError(f"document {value} does not exist")
        path: Path = value
        return {"data": document, "id": path.segments[-1], "__name__": path}


def _debug(evaluator: Evaluator, args: list[Any]) -> Any:
    if len(args) != 1:
        raise RulesEvalError("debug() takes one argument")
    evaluator.context.debug.append(repr(args[0]))
    return args[0]


def _one(function: Callable[[Any], Any]) -> Callable[[Evaluator, list[Any]], Any]:
    def call(evaluator: Evaluator, args: list[Any]) -> Any:
        if len(args) != 1:
            raise RulesEvalError("function takes one argument")
        return function(args[0])

    return call


def _get(evaluator: Evaluator, args: list[Any]) -> Any:
    if len(args) != 1:
        raise RulesEvalError("get() takes one path")
    return evaluator.resource_of(args[0], after=False)


def _get_after(evaluator: Evaluator, args: list[Any]) -> Any:
    if len(args) != 1:
        raise RulesEvalError("getAfter() takes one path")
    return evaluator.resource_of(args[0], after=True)


def _exists(evaluator: Evaluator, args: list[Any]) -> Any:
    if len(args) != 1:
        raise RulesEvalError("exists() takes one path")
    return evaluator.read_document(args[0], after=False) is not None


def _exists_after(evaluator: Evaluator, args: list[Any]) -> Any:
    if len(args) != 1:
        raise RulesEvalError("existsAfter() takes one path")
    return evaluator.read_document(args[0], after=True) is not None


_GLOBALS: dict[str, Callable[[Evaluator, list[Any]], Any]] = {
    "get": _get,
    "getAfter": _get_after,
    "exists": _exists,
    "existsAfter": _exists_after,
    "debug": _debug,
    "int": _one(stdlib.to_int),
    "float": _one(stdlib.to_float),
    "string": _one(stdlib.to_string),
    "path": _one(stdlib.to_path),
}

_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": stdlib.add,
    "-": stdlib.subtract,
    "*": stdlib.multiply,
    "/": stdlib.divide,
    "%": stdlib.modulo,
}

_DISPATCH: dict[type, Callable[[Evaluator, Any, dict[str, Any]], Any]] = {
    ast.Literal: Evaluator._literal,
    ast.Ident: Evaluator._ident,
    ast.Member: Evaluator._member,
    ast.Index: Evaluator._index,
    ast.Slice: Evaluator._slice,
    ast.Call: Evaluator._call,
    ast.MethodCall: Evaluator._method,
    ast.Unary: Evaluator._unary,
    ast.Binary: Evaluator._binary,
    ast.And: Evaluator._and,
    ast.Or: Evaluator._or,
    ast.Ternary: Evaluator._ternary,
    ast.Is: Evaluator._is,
    ast.ListLit: Evaluator._list,
    ast.MapLit: Evaluator._map,
    ast.PathLit: Evaluator._path,
}
