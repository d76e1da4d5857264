"""A brand's keywords in Bluesky's search syntax (`app.bsky.feed.searchPosts` `q`).

Bluesky's search documents quoted phrases, `from:`, `mentions:`, `lang:` and `#tag`, but no
boolean OR and no negation, so:
- each keyword form is its own query (with its own cursor): `"tienda sol"`, `TiendaSol`
  (the joined form the local matcher also accepts), `#tiendasol`, `mentions:tienda.bsky.social`;
  a keyword added later only adds a query, the other cursors are kept;
- exclusions, excluded authors and the brand's own accounts are applied locally by the one
  keyword matcher every source shares, never sent;
- `lang:` is sent only when asked (`[sources.bluesky] language_filter = true`) and the brand
  watches exactly one language: a post whose author set no language would otherwise be
  missed, and the matcher keeps untagged posts.
The brand's own replies are found with `from:<handle>` queries (one per brand account).
"""

from __future__ import annotations

import re
from typing import Any

_BARE = re.compile(r"^\w+$")


def _atom(value: str) -> str:
    return value if _BARE.match(value) else f'"{value}"'


def _joined(value: str) -> str | None:
    parts = [p for p in re.split(r"\W+", value) if p]
    return "".join(parts) if len(parts) > 1 else None


def compile_bluesky_queries(brand: Any, *, language_filter: bool = False) -> list[str]:
    """One search query per keyword form, in config order; [] when nothing is watched."""
    kw = brand.keywords.for_source("bluesky", brand.languages)
    atoms: list[str] = []
    for term in kw.terms:
        atoms.append(_atom(term))
        joined = _joined(term)
        if joined:
            atoms.append(joined)
    atoms += [f'"{p}"' for p in kw.phrases]
    atoms += [f"#{h}" for h in kw.hashtags]
    atoms += [f"mentions:{h}" if "." in h else _atom(h) for h in kw.handles]
    suffix = ""
    if language_filter and kw.languages is not None and len(kw.languages) == 1:
        suffix = f" lang:{kw.languages[0]}"
    seen: set[str] = set()
    out: list[str] = []
    for atom in atoms:
        if atom.casefold() not in seen:
            seen.add(atom.casefold())
            out.append(atom + suffix)
    return out


def compile_bluesky_reply_queries(brand: Any) -> list[str]:
    """`from:<handle>` per brand account (DIDs are accepted by `from:` too)."""
    return [f"from:{a.lstrip('@')}" for a in dict.fromkeys(brand.accounts.bluesky)]
