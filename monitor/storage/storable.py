"""Which items of a page the database would refuse, checked before the page's transaction.

A page and its cursor commit in one transaction, so one row the database refuses (a naive
datetime, an id longer than its column) would roll back the whole page and, since the same
page comes back on the next poll, stall the source forever. Items are checked here against
the same column definitions the tables use; a refused item is logged (id and reason, never
its text) and left out, and the rest of the page commits with its cursor.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.sql.expression import FromClause

from monitor.storage.tables import MentionRow, ReplyRow, UTCDateTime
from sources.base import BrandReply, Mention, Page

log = logging.getLogger(__name__)

_Item = TypeVar("_Item", Mention, BrandReply)

_INT_BITS = 31  # Integer columns are 32-bit on PostgreSQL, BigInteger 64-bit
_BIGINT_BITS = 63


@dataclass(frozen=True)
class Refused:
    """An item left out of a page: what it was and why the database would refuse it."""

    external_id: str
    reason: str


def _problem(values: dict[str, Any], table: FromClause) -> str | None:
    for column in table.columns:
        if column.name not in values:
            continue
        value = values[column.name]
        if value is None:
            if not column.nullable:
                return f"{column.name} is missing"
            continue
        if isinstance(column.type, UTCDateTime):
            if not isinstance(value, datetime):
                return f"{column.name} is not a datetime"
            if value.tzinfo is None or value.utcoffset() is None:
                return f"{column.name} has no time zone"
        elif isinstance(column.type, String):
            if not isinstance(value, str):
                return f"{column.name} is not text"
            if column.type.length is not None and len(value) > column.type.length:
                return f"{column.name} is longer than {column.type.length} characters"
        elif isinstance(column.type, Integer):
            bits = _BIGINT_BITS if isinstance(column.type, BigInteger) else _INT_BITS
            if isinstance(value, bool) or not isinstance(value, int):
                return f"{column.name} is not an integer"
            if not -(2**bits) <= value < 2**bits:
                return f"{column.name} is out of range for its column"
    return None


def mention_problem(m: Mention) -> str | None:
    """Why the mentions table would refuse this mention, or None when it is storable."""
    if not m.external_id:
        return "external_id is empty"
    values = {f.name: getattr(m, f.name) for f in fields(m) if f.name != "extra"}
    problem = _problem(values, MentionRow.__table__)
    if problem is None:
        try:
            json.dumps(m.extra)
        except (TypeError, ValueError):
            problem = "extra is not JSON"
    return problem


def reply_problem(r: BrandReply) -> str | None:
    """Why the brand replies table would refuse this reply, or None when it is storable."""
    if not r.external_id or not r.parent_external_id:
        return "external_id or parent_external_id is empty"
    return _problem({f.name: getattr(r, f.name) for f in fields(r)}, ReplyRow.__table__)


def split_storable(source: str, page: Page) -> tuple[Page, list[Refused]]:
    """The page without the items the database would refuse, and those items (logged)."""
    refused: list[Refused] = []
    mentions = _storable(page.mentions, mention_problem, refused)
    replies = _storable(page.brand_replies, reply_problem, refused)
    for item in refused:
        log.warning("%s: item %s not stored (the rest of its page is): %s",
                    source, item.external_id, item.reason)
    if not refused:
        return page, refused
    return replace(page, mentions=mentions, brand_replies=replies), refused


def _storable(
    items: Sequence[_Item], problem_of: Callable[[_Item], str | None], refused: list[Refused]
) -> list[_Item]:
    """The items `problem_of` finds nothing wrong with; the others go to `refused`."""
    kept: list[_Item] = []
    for it in items:
        problem = problem_of(it)
        if problem is None:
            kept.append(it)
        else:
            refused.append(Refused(str(it.external_id)[:128], problem))
    return kept
