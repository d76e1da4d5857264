"""Helpers for the keyword tests (a uniquely named module: tests dirs are not packages)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from monitor.config import BrandSettings, Config, parse_config

# A documented config like the one users edit: comments everywhere, multi-line arrays, two brands.
COMMENTED_CONFIG = """\
# Vigía configuration (test copy)
[database]
url = "sqlite:///vigia.db"  # local file next to this config

[[brands]]
name = "Sol"  # shown in Slack
languages = ["es", "en"]

[brands.accounts]
twitter = ["tiendasol"]  # our own account: its posts are not mentions

[brands.keywords]
# Names people use for us
terms = [
    "tienda sol",  # the full name
    "envío gratis",
]
phrases = ["sin stock"]  # exact phrase
hashtags = ["TiendaSol"]
exclude = ["crema solar"]  # not us

# Second brand
[[brands]]
name = "Lua"
languages = ["pt"]

[brands.keywords]
terms = ["loja lua"]  # Portuguese shop
"""


def make_config(*brands: dict[str, Any], **top: Any) -> Config:
    """A validated Config from brand dicts (each needs name and keywords)."""
    return parse_config({"brands": list(brands), **top}, Path("config.toml"))


def make_brand(**keywords: Any) -> BrandSettings:
    """One brand 'Sol' (languages es) with the given keyword lists."""
    accounts = keywords.pop("accounts", {})
    languages = keywords.pop("brand_languages", ["es"])
    config = make_config(
        {"name": "Sol", "languages": languages, "accounts": accounts, "keywords": keywords}
    )
    return config.brands[0]
