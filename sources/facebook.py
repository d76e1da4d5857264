"""facebook collector (STUB: being written)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sources.base import Query, Source


def create(settings: Any, env: Mapping[str, str]) -> Source:
    raise NotImplementedError


def build_queries(brand: Any, settings: Any) -> list[Query]:
    raise NotImplementedError
