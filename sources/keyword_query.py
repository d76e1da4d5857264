"""What every platform's keyword query needs, whatever its syntax: packing and keys.

Server-side queries only narrow what we download; the local `BrandMatcher`
(`monitor.keywords.matcher`) decides what a mention is. So a compiled query must never be
*narrower* than the matcher: a multi-word term "Tienda Sol" is sent as `"Tienda Sol" OR
TiendaSol` because the matcher accepts the joined form.

Each platform's syntax lives beside its source (`twitter_query.py`, `reddit_query.py`);
Facebook has no search: one query per Page feed with empty text (the matcher filters it).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from monitor.config import BrandSettings, ConfigError
from monitor.keywords import fold


class KeywordCompileError(ConfigError):
    """The keywords cannot be expressed as a query within the platform's limits."""


def query_key(source: str, brand: str, text: str) -> str:
    """Stable short id of a compiled query: a changed text is a new key, hence a fresh cursor."""
    digest = hashlib.sha256(f"{source}\x1f{brand}\x1f{text}".encode()).hexdigest()
    return digest[:16]


def joined(value: str) -> str | None:
    """'Tienda Sol' -> 'TiendaSol' (as written, separators removed) for multi-word terms."""
    parts = [p for p in re.split(r"\W+", value) if p]
    return "".join(parts) if len(parts) > 1 else None


def unique(items: list[str], key: Callable[[str], str]) -> list[str]:
    """First occurrence of each item, comparing by `key`."""
    first: dict[str, str] = {}
    for item in items:
        first.setdefault(key(item), item)
    return list(first.values())


def dedupe(groups: list[list[str]], key: Callable[[str], str] = fold) -> list[list[str]]:
    """Drop atoms the platform would treat as equal (X folds accents; Reddit only case)."""
    seen: set[str] = set()
    kept: list[list[str]] = []
    for group in groups:
        fresh = [a for a in unique(group, key) if key(a) not in seen]
        seen.update(key(a) for a in fresh)
        if fresh:
            kept.append(fresh)
    return kept


def where(brand: BrandSettings, source: str) -> str:
    """The key path named in compile errors."""
    return f"brands (name={brand.name!r}).keywords ({source})"


def pack(groups: list[list[str]], suffix: list[str], max_length: int, where: str) -> list[str]:
    """Greedy split of OR'd keywords into queries that each end with the full `suffix`.

    A keyword's forms (`"tienda sol" OR tiendasol`) stay in one query, so adding a keyword at
    the end changes only the last query or adds one: the other cursors are kept.
    """
    if not groups:
        return []
    tail = " ".join(suffix)
    room = max_length - (len(tail) + 1 if tail else 0)

    def body(atoms: list[str]) -> str:
        return atoms[0] if len(atoms) == 1 else "(" + " OR ".join(atoms) + ")"

    bodies: list[str] = []
    current: list[str] = []
    for group in groups:
        for atom in group:
            if len(atom) > room:
                raise KeywordCompileError(
                    f"{where}: keyword {atom!r} ({len(atom)} characters) does not fit in a "
                    f"{max_length}-character query: exclusions, languages and filters already "
                    f"take {len(tail)}; shorten `exclude`/`exclude_authors` or move some to a "
                    "per-source override"
                )
        if current and len(body([*current, *group])) > room:
            bodies.append(body(current))
            current = []
        for atom in group:  # a group longer than a whole query is split atom by atom
            if current and len(body([*current, atom])) > room:
                bodies.append(body(current))
                current = []
            current.append(atom)
    bodies.append(body(current))
    return [f"{b} {tail}" if tail else b for b in bodies]
