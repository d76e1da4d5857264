"""Human-readable keyword differences between two configurations, for the reload log.

The daemon logs these lines when config.toml changes, so that "why did we stop seeing X?"
has an answer in the log: `brand 'Sol': +term "envío gratis", -exclude "sol de verano"`.
"""

from __future__ import annotations

from typing import Any

from monitor.keywords.definitions import LIST_KINDS, BrandLike, ConfigLike

_SINGULAR = {
    "twitter": "twitter",
    "twitter_ids": "twitter_id",
    "reddit": "reddit",
    "facebook": "facebook",
    "instagram": "instagram",
    "bluesky": "bluesky",
    "terms": "term",
    "phrases": "phrase",
    "hashtags": "hashtag",
    "handles": "handle",
    "exclude": "exclude",
    "exclude_authors": "exclude_author",
    "drop": "drop",
}


def _list_changes(old: Any, new: Any, kinds: tuple[str, ...], prefix: str) -> list[str]:
    changes: list[str] = []
    for kind in kinds:
        before: list[str] = list(getattr(old, kind, None) or [])
        after: list[str] = list(getattr(new, kind, None) or [])
        label = prefix + _SINGULAR[kind]
        changes += [f'+{label} "{v}"' for v in after if v not in before]
        changes += [f'-{label} "{v}"' for v in before if v not in after]
    return changes


def _languages(brand: BrandLike) -> list[str]:
    kw = brand.keywords
    return list(kw.languages or brand.languages)


def _brand_changes(old: BrandLike, new: BrandLike) -> list[str]:
    changes = _list_changes(old.keywords, new.keywords, LIST_KINDS, "")
    if _languages(old) != _languages(new):
        changes.append(f"languages {','.join(_languages(old))} -> {','.join(_languages(new))}")
    for source in sorted(set(old.keywords.overrides) | set(new.keywords.overrides)):
        before = old.keywords.overrides.get(source)
        after = new.keywords.overrides.get(source)
        prefix = f"overrides.{source}."
        changes += _list_changes(before, after, (*LIST_KINDS, "drop"), prefix)
        old_langs = before.languages if before else []
        new_langs = after.languages if after else []
        if old_langs != new_langs:
            was, now = old_langs or "inherited", new_langs or "inherited"
            changes.append(f"{prefix}languages {was} -> {now}")
    for platform in ("twitter", "twitter_ids", "reddit", "facebook", "instagram", "bluesky"):
        changes += _list_changes(old.accounts, new.accounts, (platform,), "account.")
    return changes


def describe_keyword_changes(old: ConfigLike, new: ConfigLike) -> list[str]:
    """One line per brand whose keywords (or own accounts) changed; [] when nothing did."""
    before = {b.name: b for b in old.brands}
    after = {b.name: b for b in new.brands}
    lines: list[str] = []
    for name, brand in after.items():
        if name not in before:
            kw = brand.keywords
            count = kw.positives() + sum(o.positives() for o in kw.overrides.values())
            lines.append(f"brand {name!r} added ({count} keywords)")
            continue
        changes = _brand_changes(before[name], brand)
        if changes:
            lines.append(f"brand {name!r}: " + ", ".join(changes))
    lines += [f"brand {name!r} removed" for name in before if name not in after]
    return lines
