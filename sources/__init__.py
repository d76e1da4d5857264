"""Collectors, one file per platform, registered explicitly (no discovery magic)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sources.base import Query, Source


@dataclass(frozen=True)
class SourceSpec:
    """How the app builds a source and the queries it runs for one brand."""

    name: str
    create: Callable[[Any, Mapping[str, str]], Source]  # (settings, env) -> Source
    queries: Callable[[Any, Any], list[Query]]  # (brand settings, source settings) -> queries


def registry() -> dict[str, SourceSpec]:
    """Imported lazily so a broken optional client library only breaks its own source."""
    from sources import bluesky, facebook, instagram, reddit, twitter

    return {
        "twitter": SourceSpec("twitter", twitter.create, twitter.build_queries),
        "reddit": SourceSpec("reddit", reddit.create, reddit.build_queries),
        "facebook": SourceSpec("facebook", facebook.create, facebook.build_queries),
        "instagram": SourceSpec("instagram", instagram.create, instagram.build_queries),
        "bluesky": SourceSpec("bluesky", bluesky.create, bluesky.build_queries),
    }
