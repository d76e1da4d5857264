"""Add and remove keywords in config.toml without losing its comments or layout.

The file is edited with tomlkit (which round-trips comments and formatting), the edited text is
validated with the same `parse_config` the daemon uses, and only then written, atomically
(temporary file + `os.replace`), so a running daemon never reads half a file and an invalid
edit leaves the file byte-for-byte unchanged.
"""

from __future__ import annotations

import contextlib
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import AoT, Array, Comment, InlineTable, Table, Whitespace

from monitor.config import Config, ConfigError, load_config, parse_config
from monitor.config_file import ConfigChangedMeanwhile, replace_config_text
from monitor.keywords.definitions import KNOWN_SOURCES, LIST_KINDS, identity, normalize_value

Trivia = (Comment, Whitespace)


class KeywordEditError(ConfigError):
    """An edit that was refused; the file was not touched."""


def add_keyword(
    path: Path | str, brand: str, kind: str, value: str, *, source: str | None = None
) -> Config:
    """Add one keyword; see `add_keywords`."""
    return add_keywords(path, brand, kind, [value], source=source)


def remove_keyword(
    path: Path | str, brand: str, kind: str, value: str, *, source: str | None = None
) -> Config:
    """Remove one keyword; see `remove_keywords`."""
    return remove_keywords(path, brand, kind, [value], source=source)


def add_keywords(
    path: Path | str,
    brand: str,
    kind: str,
    values: Sequence[str],
    *,
    source: str | None = None,
) -> Config:
    """Append `values` to `brands.<brand>.keywords.<kind>` (or its `overrides.<source>`).

    All or nothing: a duplicate (ignoring case and accents) or an invalid value refuses the
    whole edit. Returns the validated configuration now on disk.
    """
    return _edit(Path(path), brand, kind, values, source, add=True)


def remove_keywords(
    path: Path | str,
    brand: str,
    kind: str,
    values: Sequence[str],
    *,
    source: str | None = None,
) -> Config:
    """Remove `values` (matched ignoring case and accents); refuses to leave a brand empty."""
    return _edit(Path(path), brand, kind, values, source, add=False)


def _edit(
    path: Path, brand: str, kind: str, values: Sequence[str], source: str | None, *, add: bool
) -> Config:
    if kind not in LIST_KINDS:
        raise KeywordEditError(
            f"{path}: unknown keyword kind {kind!r} (use {', '.join(LIST_KINDS)})"
        )
    if source is not None and source not in KNOWN_SOURCES:
        raise KeywordEditError(
            f"{path}: unknown source {source!r} for an override (use {', '.join(KNOWN_SOURCES)})"
        )
    if not values:
        raise KeywordEditError(f"{path}: no keyword given")
    old_config = load_config(path)  # an already-broken file is reported as such, not edited
    original = path.read_bytes()
    doc = tomlkit.parse(original.decode("utf-8"))
    index, table = _brand_table(doc, brand, path)
    where = f"{path}: brands[{index}] (name={brand!r}).keywords"
    new_table: Table | None = None
    trailing: list[Comment | Whitespace] = []
    keywords = table.get("keywords")
    if not isinstance(keywords, Table | InlineTable):
        raise KeywordEditError(f"{where}: expected a table to edit")
    if source is not None:
        where += f".overrides.{source}"
        overrides = keywords.get("overrides")
        fresh = overrides is None or overrides.get(source) is None
        if fresh and isinstance(keywords, Table):
            trailing = _detach_trailing_comments(keywords)
        keywords = _child_table(keywords, "overrides", where, super_table=True)
        keywords = _child_table(keywords, source, where, super_table=False)
        if fresh and isinstance(keywords, Table):
            new_table = keywords
    where += f".{kind}"
    array = _array(keywords, kind, create=add, where=where)
    for value in values:
        try:
            clean = normalize_value(kind, value)
        except ValueError as exc:
            raise KeywordEditError(f"{where}: expected {exc}") from None
        existing = {identity(kind, str(v)): str(v) for v in array}
        key = identity(kind, clean)
        if add:
            if key in existing:
                raise KeywordEditError(
                    f"{where}: {value!r} is already there as {existing[key]!r} "
                    "(matching ignores case and accents)"
                )
            array.append(clean)
        else:
            if key not in existing:
                listed = ", ".join(repr(v) for v in existing.values()) or "nothing"
                raise KeywordEditError(
                    f"{where}: {value!r} is not there (it has {listed})"
                    + _found_elsewhere(keywords, kind, value)
                )
            position = [identity(kind, str(v)) for v in array].index(key)
            del array[position]
    if new_table is not None:
        new_table.add(tomlkit.nl())  # a blank line before whatever table follows
        for item in trailing:  # comments that introduced the next table stay above it
            new_table.add(item)
    text = tomlkit.dumps(doc)
    new_config = parse_config(tomllib.loads(text), path)
    if not add and _positives(new_config, brand) == 0 < _positives(old_config, brand):
        raise KeywordEditError(
            f"{where}: refusing to remove the brand's last term, phrase, hashtag or handle "
            "(add another keyword first, or remove the brand)"
        )
    try:
        replace_config_text(path, original, text.encode("utf-8"))
    except ConfigChangedMeanwhile as exc:
        raise KeywordEditError(str(exc)) from None
    return new_config


def _found_elsewhere(table: Any, kind: str, value: str) -> str:
    """A hint naming the other lists of the same table that hold `value`, if any."""
    others = []
    for other in LIST_KINDS:
        if other != kind and isinstance(table.get(other), Array):
            with contextlib.suppress(ValueError):
                key = identity(other, normalize_value(other, value))
                if key in {identity(other, str(v)) for v in table[other]}:
                    others.append(other)
    return f"; it is in {', '.join(others)}" if others else ""


def _brand_table(doc: Any, brand: str, path: Path) -> tuple[int, Table | InlineTable]:
    brands = doc.get("brands")
    if not isinstance(brands, AoT | Array):
        raise KeywordEditError(f"{path}: brands: expected [[brands]] tables")
    names: list[str] = []
    for index, table in enumerate(brands):
        if isinstance(table, Table | InlineTable):
            name = str(table.get("name", ""))
            names.append(name)
            if name == brand:
                return index, table
    raise KeywordEditError(
        f"{path}: brands: no brand named {brand!r} (brands: {', '.join(map(repr, names))})"
    )


def _detach_trailing_comments(table: Table) -> list[Comment | Whitespace]:
    """Take the comments at the end of the last (sub)table out of it.

    In TOML a comment above `[[brands]]` belongs, for tomlkit, to the table before it; a table
    appended there would land between that comment and the header it describes.
    """
    body = table.value.body
    while body and isinstance(body[-1][1], Table):
        body = body[-1][1].value.body
    start = len(body)
    while start and body[start - 1][0] is None and isinstance(body[start - 1][1], Trivia):
        start -= 1
    while start < len(body) and isinstance(body[start][1], Whitespace):
        start += 1  # the blank line before the next header stays where it is
    moved = [item for _, item in body[start:] if isinstance(item, Trivia)]
    del body[start:]
    return moved


def _child_table(parent: Any, key: str, where: str, *, super_table: bool) -> Any:
    child = parent.get(key)
    if child is None:
        if isinstance(parent, InlineTable):
            child = tomlkit.inline_table()
        else:
            child = tomlkit.table(is_super_table=super_table)
        parent[key] = child
        child = parent[key]
    if not isinstance(child, Table | InlineTable):
        raise KeywordEditError(f"{where}: expected a table")
    return child


def _array(table: Any, kind: str, *, create: bool, where: str) -> Array:
    array = table.get(kind)
    if array is None:
        if not create:
            raise KeywordEditError(f"{where}: is empty, nothing to remove")
        table[kind] = tomlkit.array()
        array = table[kind]
    if not isinstance(array, Array):
        raise KeywordEditError(f"{where}: expected a list of strings")
    return array


def _positives(config: Config, brand: str) -> int:
    keywords = config.brand(brand).keywords
    total = keywords.positives()
    return total + sum(o.positives() for o in keywords.overrides.values())
