"""The subset of X's search query language the emulator understands, evaluated on `WorldPost`s.

Parsing mirrors X's rules closely enough that a query X would reject is rejected here too
(unbalanced parentheses or quotes, unknown operators, over 512 characters), so a compiler bug
shows up in tests instead of as a 400 in production:
- juxtaposition is AND and binds tighter than OR (`a b OR c` = `(a b) OR c`);
- `-` negates the next term or group; quoted phrases match consecutive words;
- keywords match whole words, case- and accent-insensitively (X folds both);
- `#tag` and `@user` match hashtags and mentions only; `from:`/`to:` match handles or ids;
- `is:retweet`, `is:reply`, `is:quote`, `lang:xx`, `conversation_id:N` filter.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from monitor.sandbox.world import WorldPost

MAX_QUERY_LENGTH = 512
_TOKEN = re.compile(r'-?\(|\)|-?"[^"]*"|-?[^\s()"]+')
_OPERATORS = ("from", "to", "is", "lang", "conversation_id")
_IS_VALUES = ("retweet", "reply", "quote")

Predicate = Callable[[WorldPost], bool]


class QueryError(ValueError):
    """What X answers with a 400 invalid-request problem."""


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", fold(text))


def is_retweet(post: WorldPost) -> bool:
    return post.kind == "retweet"


def is_quote(post: WorldPost) -> bool:
    return post.kind == "quote"


@dataclass
class _Parser:
    tokens: list[str]
    pos: int = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def parse_or(self) -> Predicate:
        branches = [self.parse_and()]
        while self.peek() == "OR":
            self.take()
            branches.append(self.parse_and())
        if len(branches) == 1:
            return branches[0]
        return lambda post: any(branch(post) for branch in branches)

    def parse_and(self) -> Predicate:
        terms: list[Predicate] = []
        while self.peek() not in (None, ")", "OR"):
            terms.append(self.parse_unary())
        if not terms:
            raise QueryError("empty clause (check OR and parentheses)")
        if len(terms) == 1:
            return terms[0]
        return lambda post: all(term(post) for term in terms)

    def parse_unary(self) -> Predicate:
        token = self.take()
        if token == "-(":
            inner = self._group()
            return lambda post: not inner(post)
        if token == "(":
            return self._group()
        if token.startswith("-") and len(token) > 1:
            positive = _atom(token[1:])
            return lambda post: not positive(post)
        return _atom(token)

    def _group(self) -> Predicate:
        inner = self.parse_or()
        if self.peek() != ")":
            raise QueryError("unbalanced parentheses")
        self.take()
        return inner


def _atom(token: str) -> Predicate:
    if token.startswith('"'):
        phrase = _words(token.strip('"'))
        if not phrase:
            raise QueryError(f"empty phrase {token!r}")
        return lambda post: _has_sequence(_words(post.text), phrase)
    if token[0] == "#":
        tag = fold(token[1:])
        return lambda post: tag in {fold(t) for t in re.findall(r"#(\w+)", post.text)}
    if token[0] == "@":
        user = fold(token[1:])
        return lambda post: user in {fold(u) for u in re.findall(r"@(\w+)", post.text)}
    name, sep, value = token.partition(":")
    if sep and name in _OPERATORS:
        return _operator(name, value)
    if sep and re.fullmatch(r"[a-z_]+", name) and value:
        raise QueryError(f"unknown operator {name}:")
    words = _words(token)
    if not words:
        raise QueryError(f"nothing to match in {token!r}")
    return lambda post: _has_sequence(_words(post.text), words)


def _operator(name: str, value: str) -> Predicate:
    value_f = fold(value)
    if not value:
        raise QueryError(f"{name}: needs a value")
    if name == "from":
        return lambda post: value_f in (fold(post.author_handle), post.author_id)
    if name == "to":
        return lambda post: post.parent_id is not None and value_f in (
            fold(str(post.extra.get("in_reply_to_handle", ""))),
            str(post.extra.get("in_reply_to_user_id", "")),
        )
    if name == "is":
        if value not in _IS_VALUES:
            raise QueryError(f"unknown is:{value}")
        checks: dict[str, Predicate] = {
            "retweet": is_retweet,
            "reply": lambda post: post.parent_id is not None and not is_retweet(post),
            "quote": is_quote,
        }
        return checks[value]
    if name == "lang":
        return lambda post: (post.lang or "und") == value_f
    return lambda post: (post.thread_id or post.id) == value


def _has_sequence(words: list[str], wanted: list[str]) -> bool:
    size = len(wanted)
    return any(words[i : i + size] == wanted for i in range(len(words) - size + 1))


def compile_query(query: str) -> Predicate:
    """Parse an X search query into a predicate over posts, or raise `QueryError`."""
    if not query.strip():
        raise QueryError("query is empty")
    if len(query) > MAX_QUERY_LENGTH:
        raise QueryError(f"query is {len(query)} characters, more than {MAX_QUERY_LENGTH}")
    if query.count('"') % 2:
        raise QueryError("unbalanced double quotes")
    tokens: list[str] = []
    pos = 0
    while pos < len(query):
        if query[pos].isspace():
            pos += 1
            continue
        match = _TOKEN.match(query, pos)
        if match is None:
            raise QueryError(f"cannot read the query at position {pos}: {query[pos:pos + 20]!r}")
        tokens.append(match.group())
        pos = match.end()
    parser = _Parser(tokens)
    predicate = parser.parse_or()
    if parser.peek() is not None:
        raise QueryError("unbalanced parentheses")
    return predicate
