"""A CQL subset for SRU: parse a query and translate it into the engine-neutral search request (pure).

Grammar (CQL 1.2, without prefix assignments)::

    query        ::= scoped ["sortby" sortKey+]
    scoped       ::= clause (boolean modifiers* clause)*        left-associative, and/or/not/prox
    clause       ::= "(" scoped ")" | [index relation modifiers*] term
    modifiers    ::= "/" name [comparitor value]

Translation: the search engine takes a query string whose clauses are ANDed, each clause an OR of terms,
plus excluded terms (`unioncat.search.query`). A CQL query is brought into that form exactly where it can be:
``and`` joins clauses, ``or`` distributes over them, ``not`` (and an ``and not``) excludes single terms or
OR-lists of terms. ``dc.date`` ranges and ``unioncat.library`` / ``unioncat.province`` filters are honoured
in the top-level AND only. Anything else raises CQLError carrying the SRU diagnostic number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# (context set, index) aliases -> engine field ("any" = every field)
TEXT_INDEXES = {
    "cql.serverchoice": None, "cql.anywhere": None, "cql.keywords": None, "serverchoice": None,
    "anywhere": None, "keywords": None, "any": None,
    "dc.title": "title", "title": "title", "bath.title": "title",
    "dc.creator": "author", "creator": "author", "author": "author", "bath.name": "author",
    "bath.personalname": "author", "bath.author": "author", "dc.contributor": "author",
    "dc.subject": "subject", "subject": "subject", "bath.subject": "subject", "bath.topicalsubject": "subject",
    "dc.publisher": "publisher", "publisher": "publisher",
    "bath.isbn": "isbn", "isbn": "isbn", "rec.identifier": "isbn", "dc.identifier": "isbn",
}  # fmt: skip
DATE_INDEXES = {"dc.date", "date", "bath.date", "year"}
FILTER_INDEXES = {"unioncat.library": "library", "library": "library",
                  "unioncat.province": "province", "province": "province"}
ALL_RECORDS = {"cql.allrecords"}
SORT_KEYS = {"dc.date": "year", "date": "year", "dc.title": "title", "title": "title"}

TEXT_RELATIONS = {"=", "==", "adj", "all", "any", "cql.adj", "cql.all", "cql.any", "exact"}
DATE_RELATIONS = {"=", "==", "<", ">", "<=", ">=", "within", "cql.within"}
IGNORED_MODIFIERS = {"relevant", "cql.relevant", "word", "cql.word", "string", "cql.string",
                     "ignorecase", "cql.ignorecase"}
MAX_TERMS = 32
YEAR_RE = re.compile(r"^-?\d{1,4}$")
_OPERATOR_WORDS = {"or", "and", "not", "||", "&&"}


class CQLError(Exception):
    """A query the SRU server cannot run: ``number`` is the info:srw/diagnostic/1/ number."""

    def __init__(self, number: int, message: str, details: str | None = None) -> None:
        super().__init__(message)
        self.number = number
        self.message = message
        self.details = details


# ------------------------------------------------------------------------------------------------ parse


@dataclass(frozen=True)
class Token:
    kind: str  # "word" | "string" | "op" ("(", ")", "/", "=", "==", "<>", "<", ">", "<=", ">=")
    text: str


@dataclass(frozen=True)
class Clause:
    index: str  # lower case
    relation: str  # lower case
    term: str
    modifiers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Boolean:
    op: str  # and | or | not | prox
    left: object
    right: object


@dataclass(frozen=True)
class SortKey:
    index: str
    descending: bool = False


@dataclass(frozen=True)
class Query:
    root: object
    sort: tuple[SortKey, ...] = ()


_TOKEN = re.compile(r'\s*(?:(?P<string>"(?:[^"\\]|\\.)*")|(?P<op>==|<>|<=|>=|[()/=<>])|(?P<word>[^\s()/=<>"]+))',
                    re.DOTALL)


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise CQLError(10, "Query syntax error", f"unexpected character at {pos}: {text[pos:pos + 10]!r}")
        pos = match.end()
        if match.group("string") is not None:
            raw = match.group("string")[1:-1]
            tokens.append(Token("string", re.sub(r"\\(.)", r"\1", raw, flags=re.DOTALL)))
        elif match.group("op") is not None:
            tokens.append(Token("op", match.group("op")))
        elif match.group("word") is not None:
            tokens.append(Token("word", match.group("word")))
        if text[pos:].strip() == "":
            break
    return tokens


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self, offset: int = 0) -> Token | None:
        i = self.pos + offset
        return self.tokens[i] if i < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise CQLError(10, "Query syntax error", "the query ends too early")
        self.pos += 1
        return token

    def is_word(self, token: Token | None, *words: str) -> bool:
        return token is not None and token.kind == "word" and token.text.lower() in words

    def query(self) -> Query:
        root = self.scoped()
        sort: list[SortKey] = []
        if self.is_word(self.peek(), "sortby"):
            self.take()
            while self.peek() is not None:
                key = self.take()
                if key.kind not in ("word", "string"):
                    raise CQLError(10, "Query syntax error", "a sort key is an index name")
                mods = self.modifiers()
                sort.append(SortKey(key.text.lower(), any(m in ("sort.descending", "descending") for m in mods)))
            if not sort:
                raise CQLError(10, "Query syntax error", "sortby needs at least one index")
        if self.peek() is not None:
            raise CQLError(10, "Query syntax error", f"unexpected {self.peek().text!r}")
        return Query(root, tuple(sort))

    def scoped(self):
        left = self.clause()
        while self.is_word(self.peek(), "and", "or", "not", "prox"):
            op = self.take().text.lower()
            self.modifiers()  # boolean modifiers (prox distances...) are accepted and ignored
            left = Boolean(op, left, self.clause())
        return left

    def modifiers(self) -> tuple[str, ...]:
        mods = []
        while self.peek() is not None and self.peek().kind == "op" and self.peek().text == "/":
            self.take()
            name = self.take()
            if name.kind not in ("word", "string"):
                raise CQLError(10, "Query syntax error", "a modifier needs a name")
            text = name.text.lower()
            nxt = self.peek()
            if nxt is not None and nxt.kind == "op" and nxt.text in ("=", "==", "<>", "<", ">", "<=", ">="):
                self.take()
                text += self.take().text
            mods.append(text)
        return tuple(mods)

    def clause(self):
        token = self.peek()
        if token is None:
            raise CQLError(10, "Query syntax error", "a search term is missing")
        if token.kind == "op" and token.text == "(":
            self.take()
            inner = self.scoped()
            closing = self.take()
            if closing.kind != "op" or closing.text != ")":
                raise CQLError(10, "Query syntax error", "unbalanced parentheses")
            return inner
        if token.kind == "op":
            raise CQLError(10, "Query syntax error", f"unexpected {token.text!r}")
        # index relation term, or a bare term
        nxt = self.peek(1)
        is_relation = nxt is not None and (
            (nxt.kind == "op" and nxt.text in ("=", "==", "<>", "<", ">", "<=", ">="))
            or (nxt.kind == "word" and nxt.text.lower() in TEXT_RELATIONS | DATE_RELATIONS | {"cql.within"}
                and self.peek(2) is not None and not self._ends_clause(self.peek(2)))
        )
        if is_relation and token.kind == "word":
            index = self.take().text.lower()
            relation = self.take().text.lower()
            mods = self.modifiers()
            term = self.take()
            if term.kind == "op":
                raise CQLError(10, "Query syntax error", f"a search term is expected after {relation!r}")
            return Clause(index, relation, term.text, mods)
        self.take()
        return Clause("cql.serverchoice", "=", token.text)

    @staticmethod
    def _ends_clause(token: Token) -> bool:
        return token.kind == "op" and token.text in (")", "/")


def parse(text: str) -> Query:
    if text is None or not text.strip():
        raise CQLError(10, "Query syntax error", "the query is empty")
    if len(text) > 2000:
        raise CQLError(10, "Query syntax error", "the query is too long")
    return _Parser(tokenize(text)).query()


# ------------------------------------------------------------------------------------------------ translate


@dataclass(frozen=True)
class Literal:
    field: str | None
    text: str
    phrase: bool = False


@dataclass
class Translation:
    """What the search backend is asked: ``q`` in the reader's query syntax, plus filters and a sort."""

    q: str = ""
    year_from: int | None = None
    year_to: int | None = None
    filters: dict[str, list[str]] = field(default_factory=dict)
    sort: str = "relevance"


def _flatten_and(node) -> list:
    if isinstance(node, Boolean) and node.op == "and":
        return _flatten_and(node.left) + _flatten_and(node.right)
    return [node]


def _clean_word(text: str) -> str:
    # masking characters are not supported: a trailing or leading * or ? is dropped, the word still searched
    return text.strip().strip("*?^").replace('"', " ").strip()


def _check_modifiers(clause: Clause) -> None:
    for mod in clause.modifiers:
        if mod not in IGNORED_MODIFIERS:
            raise CQLError(20, "Unsupported relation modifier", mod)


def _text_cnf(clause: Clause) -> list[list[Literal]]:
    """A text clause as CNF: a list of OR-lists of literals."""
    _check_modifiers(clause)
    if clause.index not in TEXT_INDEXES:
        raise CQLError(16, "Unsupported index", clause.index)
    fld = TEXT_INDEXES[clause.index]
    if clause.relation not in TEXT_RELATIONS:
        raise CQLError(19, "Unsupported relation", clause.relation)
    relation = clause.relation.removeprefix("cql.")
    if fld == "isbn":
        compact = re.sub(r"[\s\-‐‑–]", "", clause.term)
        if not compact:
            raise CQLError(27, "Empty term unsupported", clause.index)
        return [[Literal("isbn", compact)]]
    words = [w for w in (_clean_word(w) for w in clause.term.split()) if any(c.isalnum() for c in w)]
    if not words:
        if clause.term.strip() in ("", "*"):
            return []  # "dc.title = *" or an empty term: no restriction
        raise CQLError(27, "Empty term unsupported", clause.term)
    if relation == "all":
        return [[Literal(fld, w)] for w in words]
    if relation == "any":
        return [[Literal(fld, w) for w in words]]
    # "=" on several words is adjacency in CQL 1.2, as are "adj", "==" and "exact"
    return [[Literal(fld, " ".join(words), phrase=len(words) > 1)]]


def _cnf(node) -> list[list[Literal]]:
    if isinstance(node, Clause):
        if node.index in DATE_INDEXES or node.index in FILTER_INDEXES or node.index in ALL_RECORDS:
            raise CQLError(48, "Query feature unsupported",
                           f"{node.index} is supported only in the top-level AND of a query")
        return _text_cnf(node)
    assert isinstance(node, Boolean)
    if node.op == "and":
        return _cnf(node.left) + _cnf(node.right)
    if node.op == "or":
        left, right = _cnf(node.left), _cnf(node.right)
        if not left or not right:
            return []  # one side matches everything
        out = [a + b for a in left for b in right]
        if sum(len(c) for c in out) > MAX_TERMS:
            raise CQLError(38, "Too many boolean operators in query", f"more than {MAX_TERMS} terms once expanded")
        return out
    if node.op == "prox":
        raise CQLError(37, "Unsupported boolean operator", "prox")
    raise CQLError(48, "Query feature unsupported", "'not' is supported only as 'A not B' at the top level")


def _negated(node) -> list[Literal]:
    """The right side of a top-level NOT: literals that must all be absent (NOT (a or b) = not a, not b)."""
    cnf = _cnf(node)
    if len(cnf) == 1:
        return cnf[0]
    raise CQLError(48, "Query feature unsupported", "'not' applies to a term or an OR of terms only")


def _year(term: str) -> int:
    if not YEAR_RE.match(term.strip()):
        raise CQLError(36, "Term in invalid format for index or relation", term)
    return int(term.strip())


def _apply_date(clause: Clause, out: Translation) -> None:
    _check_modifiers(clause)
    relation = clause.relation.removeprefix("cql.")
    if relation not in {r.removeprefix("cql.") for r in DATE_RELATIONS}:
        raise CQLError(19, "Unsupported relation", clause.relation)
    low = high = None
    if relation == "within":
        parts = clause.term.split()
        if len(parts) != 2:
            raise CQLError(36, "Term in invalid format for index or relation", clause.term)
        low, high = sorted((_year(parts[0]), _year(parts[1])))
    else:
        year = _year(clause.term)
        low, high = {"=": (year, year), "==": (year, year), ">=": (year, None), ">": (year + 1, None),
                     "<=": (None, year), "<": (None, year - 1)}[relation]
    if low is not None:
        out.year_from = low if out.year_from is None else max(out.year_from, low)
    if high is not None:
        out.year_to = high if out.year_to is None else min(out.year_to, high)


def _literal_text(lit: Literal, negate: bool = False) -> str:
    sign = "-" if negate else ""
    prefix = f"{lit.field}:" if lit.field else ""
    if lit.field == "isbn":
        return f"{sign}isbn:{lit.text}"
    text = lit.text
    needs_quotes = lit.phrase or ":" in text or text[:1] in "+-!" or text.lower() in _OPERATOR_WORDS
    if needs_quotes:
        return f'{sign}{prefix}"{text}"'
    return f"{sign}{prefix}{text}"


def translate(query: Query) -> Translation:
    out = Translation()
    positive: list[list[Literal]] = []
    negative: list[Literal] = []

    def conjunct(node) -> None:
        if isinstance(node, Clause) and node.index in DATE_INDEXES:
            _apply_date(node, out)
        elif isinstance(node, Clause) and node.index in FILTER_INDEXES:
            _check_modifiers(node)
            if node.relation not in ("=", "==", "exact", "any"):
                raise CQLError(19, "Unsupported relation", node.relation)
            values = [v for v in (node.term.split() if node.relation == "any" else [node.term.strip()]) if v]
            name = FILTER_INDEXES[node.index]
            if name in out.filters:
                raise CQLError(48, "Query feature unsupported", f"{node.index} may appear once")
            out.filters[name] = values
        elif isinstance(node, Clause) and node.index in ALL_RECORDS:
            return
        elif isinstance(node, Boolean) and node.op == "not":
            for part in _flatten_and(node.left):
                conjunct(part)
            negative.extend(_negated(node.right))
        else:
            positive.extend(_cnf(node))

    for part in _flatten_and(query.root):
        conjunct(part)
    if not positive and negative:
        raise CQLError(48, "Query feature unsupported", "a query cannot consist of exclusions only")
    if sum(len(c) for c in positive) + len(negative) > MAX_TERMS:
        raise CQLError(38, "Too many boolean operators in query", f"more than {MAX_TERMS} terms")
    parts = [" OR ".join(_literal_text(lit) for lit in clause) for clause in positive]
    parts += [_literal_text(lit, negate=True) for lit in negative]
    out.q = " ".join(parts)
    for key in query.sort[:1]:
        if key.index not in SORT_KEYS:
            raise CQLError(16, "Unsupported index", f"sortby {key.index}")
        if SORT_KEYS[key.index] == "year":
            out.sort = "year_desc" if key.descending else "year_asc"
        else:
            out.sort = "title"
    return out


def to_search(text: str) -> Translation:
    return translate(parse(text))
