"""Parser for Firestore Security Rules (``rules_version = '2'``).

A hand-written scanner and recursive-descent parser. Raw paths (``/databases/$(database)/documents``) are
scanned from the source text on demand: whether ``/`` starts a path or divides depends on the parser's
position, which only the parser knows.
"""

from __future__ import annotations

from dataclasses import dataclass

from localcloud.rules import ast

METHODS = {
    "get": {"get"},
    "list": {"list"},
    "create": {"create"},
    "update": {"update"},
    "delete": {"delete"},
    "read": {"get", "list"},
    "write": {"create", "update", "delete"},
}
TYPE_NAMES = {
    "bool", "int", "float", "number", "string", "list", "map", "timestamp", "duration", "path", "latlng",
    "bytes", "set", "map_diff", "constraint",
}
KEYWORDS = {"true", "false", "null", "in", "is", "if", "let", "return", "function", "match", "allow", "service"}
_PUNCT = [
    "&&", "||", "==", "!=", "<=", ">=", "(", ")", "[", "]", "{", "}", ",", ";", ".", ":", "?", "!", "-", "+",
    "*", "/", "%", "<", ">", "=",
]
_PATH_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.~%()")


class RulesSyntaxError(Exception):
    """A rules file that does not parse; ``line`` and ``column`` are 1-based."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"{line}:{column}: {message}")
        self.message = message
        self.line = line
        self.column = column


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # ident, int, float, string, bytes, punct, eof
    text: str
    value: object
    offset: int
    line: int
    column: int


class Scanner:
    def __init__(self, source: str) -> None:
        self.source = source
        self.offset = 0
        self._peeked: Token | None = None

    def position(self, offset: int) -> tuple[int, int]:
        line = self.source.count("\n", 0, offset) + 1
        column = offset - (self.source.rfind("\n", 0, offset) + 1) + 1
        return line, column

    def error(self, message: str, offset: int) -> RulesSyntaxError:
        line, column = self.position(offset)
        return RulesSyntaxError(message, line, column)

    def peek(self) -> Token:
        if self._peeked is None:
            self._peeked = self._scan()
        return self._peeked

    def next(self) -> Token:
        token = self.peek()
        self._peeked = None
        return token

    def rewind_to(self, offset: int) -> None:
        """Forget the peeked token and continue raw scanning from ``offset``."""
        self._peeked = None
        self.offset = offset

    def skip_space(self) -> None:
        source, length = self.source, len(self.source)
        while self.offset < length:
            char = source[self.offset]
            if char in " \t\r\n":
                self.offset += 1
            elif source.startswith("//", self.offset):
                end = source.find("\n", self.offset)
                self.offset = length if end < 0 else end + 1
            elif source.startswith("/*", self.offset):
                end = source.find("*/", self.offset + 2)
                if end < 0:
                    raise self.error("unterminated comment", self.offset)
                self.offset = end + 2
            else:
                return

    def _token(self, kind: str, text: str, value: object, start: int) -> Token:
        line, column = self.position(start)
        return Token(kind, text, value, start, line, column)

    def _scan(self) -> Token:
        self.skip_space()
        source, start = self.source, self.offset
        if start >= len(source):
            return self._token("eof", "", None, start)
        char = source[start]
        if char in "'\"" or (char in "bB" and source[start + 1 : start + 2] in ("'", '"')):
            return self._scan_string()
        if char.isdigit():
            return self._scan_number()
        if char.isalpha() or char == "_":
            end = start
            while end < len(source) and (source[end].isalnum() or source[end] == "_"):
                end += 1
            self.offset = end
            return self._token("ident", source[start:end], None, start)
        for punct in _PUNCT:
            if source.startswith(punct, start):
                self.offset = start + len(punct)
                return self._token("punct", punct, None, start)
        raise self.error(f"unexpected character {char!r}", start)

    def _scan_number(self) -> Token:
        source, start = self.source, self.offset
        end = start
        while end < len(source) and source[end].isdigit():
            end += 1
        is_float = False
        if end + 1 < len(source) and source[end] == "." and source[end + 1].isdigit():
            is_float = True
            end += 1
            while end < len(source) and source[end].isdigit():
                end += 1
        if end < len(source) and source[end] in "eE":
            exponent = end + 1
            if exponent < len(source) and source[exponent] in "+-":
                exponent += 1
            if exponent < len(source) and source[exponent].isdigit():
                is_float = True
                end = exponent
                while end < len(source) and source[end].isdigit():
                    end += 1
        text = source[start:end]
        self.offset = end
        if is_float:
            return self._token("float", text, float(text), start)
        return self._token("int", text, int(text), start)

    def _scan_string(self) -> Token:
        source, start = self.source, self.offset
        is_bytes = source[start] in "bB"
        position = start + 1 if is_bytes else start
        quote = source[position]
        position += 1
        chars: list[str] = []
        while True:
            if position >= len(source) or source[position] == "\n":
                raise self.error("unterminated string literal", start)
            char = source[position]
            if char == quote:
                position += 1
                break
            if char == "\\":
                escape = source[position + 1 : position + 2]
                simple = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "/": "/", "0": "\0"}
                if escape in simple:
                    chars.append(simple[escape])
                    position += 2
                elif escape in ("u", "x"):
                    width = 4 if escape == "u" else 2
                    digits = source[position + 2 : position + 2 + width]
                    if len(digits) != width or any(d not in "0123456789abcdefABCDEF" for d in digits):
                        raise self.error(f"invalid \\{escape} escape", position)
                    chars.append(chr(int(digits, 16)))
                    position += 2 + width
                else:
                    raise self.error(f"invalid escape sequence \\{escape}", position)
                continue
            chars.append(char)
            position += 1
        self.offset = position
        text = "".join(chars)
        if is_bytes:
            return self._token("bytes", source[start:position], text.encode("latin-1", "surrogatepass"), start)
        return self._token("string", source[start:position], text, start)


class Parser:
    def __init__(self, source: str) -> None:
        self.scanner = Scanner(source)
        self.version = "1"

    # -- helpers ---------------------------------------------------------------------------------
    def error(self, message: str, token: Token | None = None) -> RulesSyntaxError:
        token = token or self.scanner.peek()
        return RulesSyntaxError(message, token.line, token.column)

    def at(self, text: str) -> bool:
        token = self.scanner.peek()
        return token.kind in ("punct", "ident") and token.text == text

    def accept(self, text: str) -> Token | None:
        if self.at(text):
            return self.scanner.next()
        return None

    def expect(self, text: str) -> Token:
        token = self.scanner.peek()
        if not self.at(text):
            found = "end of file" if token.kind == "eof" else repr(token.text)
            raise self.error(f"expected {text!r}, found {found}", token)
        return self.scanner.next()

    def expect_ident(self, what: str = "identifier") -> Token:
        token = self.scanner.peek()
        if token.kind != "ident" or token.text in KEYWORDS:
            found = "end of file" if token.kind == "eof" else repr(token.text)
            raise self.error(f"expected {what}, found {found}", token)
        return self.scanner.next()

    # -- file structure ----------------------------------------------------------------------------
    def parse_file(self) -> ast.RulesFile:
        version = "1"
        if self.at("rules_version"):
            self.scanner.next()
            self.expect("=")
            token = self.scanner.next()
            if token.kind != "string":
                raise self.error("rules_version must be a string", token)
            version = str(token.value)
            if version not in ("1", "2"):
                raise self.error(f"unsupported rules_version {version!r}", token)
            self.expect(";")
        self.version = version
        services: list[ast.Service] = []
        while self.scanner.peek().kind != "eof":
            services.append(self.parse_service())
        if not services:
            raise self.error("expected 'service'")
        return ast.RulesFile(version=version, services=services)

    def parse_service(self) -> ast.Service:
        start = self.expect("service")
        name_parts = [self.expect_ident("service name").text]
        while self.accept("."):
            name_parts.append(self.expect_ident("service name").text)
        service = ast.Service(start.line, start.column, ".".join(name_parts))
        self.expect("{")
        while not self.accept("}"):
            if self.at("match"):
                service.matches.append(self.parse_match())
            elif self.at("function"):
                function = self.parse_function()
                service.functions[function.name] = function
            elif self.scanner.peek().kind == "eof":
                raise self.error("unexpected end of file: missing '}'")
            else:
                raise self.error("expected 'match' or 'function' in service body")
        return service

    def parse_match(self) -> ast.Match:
        start = self.expect("match")
        pattern_token = self.scanner.peek()
        pattern = self.parse_pattern()
        recursive = [i for i, segment in enumerate(pattern) if isinstance(segment, ast.RecursiveSegment)]
        if self.version == "1" and recursive and recursive != [len(pattern) - 1]:
            raise self.error("in rules_version '1' a recursive wildcard must end the path", pattern_token)
        match = ast.Match(start.line, start.column, pattern)
        self.expect("{")
        while not self.accept("}"):
            if self.at("match"):
                match.matches.append(self.parse_match())
            elif self.at("function"):
                function = self.parse_function()
                match.functions[function.name] = function
            elif self.at("allow"):
                match.allows.append(self.parse_allow())
            elif self.scanner.peek().kind == "eof":
                raise self.error("unexpected end of file: missing '}'")
            else:
                raise self.error("expected 'match', 'allow' or 'function' in match body")
        return match

    def parse_pattern(self) -> tuple[ast.PatternSegment, ...]:
        scanner = self.scanner
        token = scanner.peek()
        if not (token.kind == "punct" and token.text == "/"):
            raise self.error("expected a path starting with '/'", token)
        scanner.rewind_to(token.offset)
        source = scanner.source
        segments: list[ast.PatternSegment] = []
        while scanner.offset < len(source) and source[scanner.offset] == "/":
            scanner.offset += 1
            begin = scanner.offset
            if source.startswith("{", begin):
                end = source.find("}", begin)
                if end < 0:
                    raise scanner.error("unterminated wildcard", begin)
                inner = source[begin + 1 : end].strip()
                name, _, suffix = inner.partition("=")
                name = name.strip()
                if not name.isidentifier():
                    raise scanner.error(f"invalid wildcard name {name!r}", begin)
                if suffix:
                    if suffix.strip() != "**":
                        raise scanner.error("a recursive wildcard is written {name=**}", begin)
                    segments.append(ast.RecursiveSegment(name))
                else:
                    segments.append(ast.WildcardSegment(name))
                scanner.offset = end + 1
            else:
                end = begin
                while end < len(source) and source[end] in _PATH_CHARS:
                    end += 1
                if end == begin:
                    raise scanner.error("empty path segment", begin)
                segments.append(ast.LiteralSegment(source[begin:end]))
                scanner.offset = end
        if not segments:
            raise scanner.error("empty match path", token.offset)
        return tuple(segments)

    def parse_function(self) -> ast.Function:
        start = self.expect("function")
        name = self.expect_ident("function name").text
        self.expect("(")
        params: list[str] = []
        if not self.at(")"):
            params.append(self.expect_ident("parameter name").text)
            while self.accept(","):
                params.append(self.expect_ident("parameter name").text)
        self.expect(")")
        self.expect("{")
        lets: list[tuple[str, ast.Expr]] = []
        while self.at("let"):
            self.scanner.next()
            let_name = self.expect_ident("variable name").text
            self.expect("=")
            lets.append((let_name, self.parse_expr()))
            self.expect(";")
        self.expect("return")
        body = self.parse_expr()
        self.accept(";")
        self.expect("}")
        return ast.Function(start.line, start.column, name, tuple(params), tuple(lets), body)

    def parse_allow(self) -> ast.Allow:
        start = self.expect("allow")
        methods: set[str] = set()
        while True:
            token = self.scanner.peek()
            if token.kind != "ident" or token.text not in METHODS:
                raise self.error(f"expected one of {', '.join(METHODS)}", token)
            self.scanner.next()
            methods |= METHODS[token.text]
            if not self.accept(","):
                break
        condition: ast.Expr | None = None
        if self.accept(":"):
            self.expect("if")
            condition = self.parse_expr()
        end = self.expect(";")
        text = self.scanner.source[start.offset : end.offset + 1]
        return ast.Allow(start.line, start.column, frozenset(methods), condition, " ".join(text.split()))

    # -- expressions (lowest precedence first) -----------------------------------------------------
    def parse_expr(self) -> ast.Expr:
        condition = self.parse_or()
        token = self.accept("?")
        if token is None:
            return condition
        if_true = self.parse_expr()
        self.expect(":")
        if_false = self.parse_expr()
        return ast.Ternary(token.line, token.column, condition, if_true, if_false)

    def parse_or(self) -> ast.Expr:
        left = self.parse_and()
        while (token := self.accept("||")) is not None:
            left = ast.Or(token.line, token.column, left, self.parse_and())
        return left

    def parse_and(self) -> ast.Expr:
        left = self.parse_equality()
        while (token := self.accept("&&")) is not None:
            left = ast.And(token.line, token.column, left, self.parse_equality())
        return left

    def parse_equality(self) -> ast.Expr:
        left = self.parse_is()
        while self.at("==") or self.at("!="):
            token = self.scanner.next()
            left = ast.Binary(token.line, token.column, token.text, left, self.parse_is())
        return left

    def parse_is(self) -> ast.Expr:
        left = self.parse_in()
        while (token := self.accept("is")) is not None:
            type_token = self.scanner.peek()
            if type_token.kind != "ident" or type_token.text not in TYPE_NAMES:
                raise self.error(f"expected a type name after 'is', found {type_token.text!r}", type_token)
            self.scanner.next()
            left = ast.Is(token.line, token.column, left, type_token.text)
        return left

    def parse_in(self) -> ast.Expr:
        left = self.parse_relation()
        while (token := self.accept("in")) is not None:
            left = ast.Binary(token.line, token.column, "in", left, self.parse_relation())
        return left

    def parse_relation(self) -> ast.Expr:
        left = self.parse_additive()
        while any(self.at(op) for op in ("<", "<=", ">", ">=")):
            token = self.scanner.next()
            left = ast.Binary(token.line, token.column, token.text, left, self.parse_additive())
        return left

    def parse_additive(self) -> ast.Expr:
        left = self.parse_multiplicative()
        while self.at("+") or self.at("-"):
            token = self.scanner.next()
            left = ast.Binary(token.line, token.column, token.text, left, self.parse_multiplicative())
        return left

    def parse_multiplicative(self) -> ast.Expr:
        left = self.parse_unary()
        while self.at("*") or self.at("/") or self.at("%"):
            token = self.scanner.next()
            left = ast.Binary(token.line, token.column, token.text, left, self.parse_unary())
        return left

    def parse_unary(self) -> ast.Expr:
        if self.at("!") or self.at("-"):
            token = self.scanner.next()
            operand = self.parse_unary()
            if token.text == "-" and isinstance(operand, ast.Literal) and type(operand.value) in (int, float):
                return ast.Literal(token.line, token.column, -operand.value)
            return ast.Unary(token.line, token.column, token.text, operand)
        return self.parse_postfix()

    def parse_postfix(self) -> ast.Expr:
        expr = self.parse_primary()
        while True:
            if (token := self.accept(".")) is not None:
                name_token = self.scanner.next()
                if name_token.kind != "ident":
                    raise self.error("expected a member name after '.'", name_token)
                if self.accept("("):
                    expr = ast.MethodCall(token.line, token.column, expr, name_token.text, self.parse_args())
                else:
                    expr = ast.Member(token.line, token.column, expr, name_token.text)
            elif (token := self.accept("[")) is not None:
                start: ast.Expr | None = None
                if not self.at(":"):
                    start = self.parse_expr()
                if self.accept(":"):
                    end = None if self.at("]") else self.parse_expr()
                    self.expect("]")
                    expr = ast.Slice(token.line, token.column, expr, start, end)
                else:
                    self.expect("]")
                    assert start is not None
                    expr = ast.Index(token.line, token.column, expr, start)
            else:
                return expr

    def parse_args(self) -> tuple[ast.Expr, ...]:
        args: list[ast.Expr] = []
        if not self.at(")"):
            args.append(self.parse_expr())
            while self.accept(","):
                args.append(self.parse_expr())
        self.expect(")")
        return tuple(args)

    def parse_primary(self) -> ast.Expr:
        token = self.scanner.peek()
        if token.kind in ("int", "float", "string", "bytes"):
            self.scanner.next()
            return ast.Literal(token.line, token.column, token.value)
        if token.kind == "ident":
            if token.text in ("true", "false"):
                self.scanner.next()
                return ast.Literal(token.line, token.column, token.text == "true")
            if token.text == "null":
                self.scanner.next()
                return ast.Literal(token.line, token.column, None)
            if token.text in KEYWORDS:
                raise self.error(f"unexpected keyword {token.text!r}", token)
            self.scanner.next()
            if self.accept("("):
                return ast.Call(token.line, token.column, token.text, self.parse_args())
            return ast.Ident(token.line, token.column, token.text)
        if token.kind == "punct":
            if token.text == "(":
                self.scanner.next()
                inner = self.parse_expr()
                self.expect(")")
                return inner
            if token.text == "[":
                self.scanner.next()
                items: list[ast.Expr] = []
                if not self.at("]"):
                    items.append(self.parse_expr())
                    while self.accept(","):
                        if self.at("]"):
                            break
                        items.append(self.parse_expr())
                self.expect("]")
                return ast.ListLit(token.line, token.column, tuple(items))
            if token.text == "{":
                self.scanner.next()
                entries: list[tuple[ast.Expr, ast.Expr]] = []
                if not self.at("}"):
                    while True:
                        key = self.parse_expr()
                        self.expect(":")
                        entries.append((key, self.parse_expr()))
                        if not self.accept(",") or self.at("}"):
                            break
                self.expect("}")
                return ast.MapLit(token.line, token.column, tuple(entries))
            if token.text == "/":
                return self.parse_path_literal(token)
        found = "end of file" if token.kind == "eof" else repr(token.text)
        raise self.error(f"expected an expression, found {found}", token)

    def parse_path_literal(self, token: Token) -> ast.PathLit:
        scanner = self.scanner
        scanner.rewind_to(token.offset)
        source = scanner.source
        segments: list[tuple[str | ast.Expr, ...]] = []
        while scanner.offset < len(source) and source[scanner.offset] == "/":
            after = source[scanner.offset + 1 : scanner.offset + 2]
            if not (after in _PATH_CHARS or after == "$") or after == "":
                break
            scanner.offset += 1
            parts: list[str | ast.Expr] = []
            while scanner.offset < len(source):
                char = source[scanner.offset]
                if source.startswith("$(", scanner.offset):
                    scanner.rewind_to(scanner.offset + 2)
                    parts.append(self.parse_expr())
                    close = scanner.peek()
                    if close.text != ")":
                        raise self.error("expected ')' closing $(", close)
                    scanner.rewind_to(close.offset + 1)
                elif char in _PATH_CHARS:
                    end = scanner.offset
                    while end < len(source) and source[end] in _PATH_CHARS:
                        end += 1
                    # A ')' can end a $(...) or a call around the path: keep only balanced parentheses.
                    text = _balanced_prefix(source[scanner.offset : end])
                    if not text:
                        break
                    parts.append(text)
                    scanner.offset += len(text)
                else:
                    break
            if not parts:
                raise scanner.error("empty path segment", scanner.offset)
            segments.append(tuple(parts))
        if not segments:
            raise scanner.error("expected a path", token.offset)
        return ast.PathLit(token.line, token.column, tuple(segments))


def _balanced_prefix(text: str) -> str:
    depth = 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                return text[:index]
            depth -= 1
    return text


def parse(source: str) -> ast.RulesFile:
    return Parser(source).parse_file()
