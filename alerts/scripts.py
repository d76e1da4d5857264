"""Response scripts: what a community manager can paste as a first public answer.

Scripts live in TOML files, one per language (`alerts/scripts/es.toml`, `en.toml`, `pt.toml`),
so the people who answer customers can rewrite them without touching Python. A brand's
`scripts_dir` may hold files with the same names; a situation present in a user file replaces
the packaged scripts of that situation in that language (docs/scripts.md).

Everything that could make a script embarrassing in public is checked when the files are
loaded, not when a customer is waiting: the channel length limit with worst-case placeholder
values, unknown placeholders, the private channel for order details, links, @mentions,
hashtags and sales words. A bad file fails `ScriptLibrary.load` with the file, situation,
language and script number in the message.
"""

from __future__ import annotations

import hashlib
import re
import string
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from alerts.situations import SITUATIONS, UNKNOWN, base_lang

# Longest value assumed for each placeholder when checking limits at load time. X allows 50
# characters for a display name and 15 for a handle; Reddit 20; 40 covers brand names and 60
# "DM o hola@tienda.example"-style private channels. Longer real values are clipped (name,
# handle, brand) or make the script be skipped for that post (private channel).
PLACEHOLDER_MAX: dict[str, int] = {"name": 50, "handle": 50, "brand": 40, "private_channel": 60}

# Characters a public reply may have per source (X counts most non-Latin characters double,
# see `weighted_length`). Unknown sources get X's limit: short is always safe.
CHANNEL_LIMITS: dict[str, int] = {"twitter": 280, "reddit": 10_000, "facebook": 8_000}
STRICTEST_CHANNEL = "twitter"

# Situations whose scripts need not offer the private channel: thanks carry no support pitch.
NO_PRIVATE_CHANNEL = frozenset({"praise"})

# Used when a brand has not configured `private_channel` yet, so scripts still read well.
DEFAULT_PRIVATE_CHANNEL: dict[str, str] = {
    "es": "mensaje privado",
    "en": "direct message",
    "pt": "mensagem privada",
}
FALLBACK_LANGS = ("es", "en")  # Spanish-first product; English as the lingua franca

_LINK = re.compile(
    r"(?i)\b(?:https?://|www\.)|\b[\w-]+\.(?:com|net|org|io|shop|store|es|mx|ar|cl|br|co|ly)\b"
)
_MENTION_OR_TAG = re.compile(r"(?<![\w&])[@#]\w")
_SALES_WORDS = re.compile(
    r"(?i)\b(?:descuentos?|cup[oó]n(?:es)?|promo(?:ci[oó]n|ciones)?|ofertas?|discounts?|"
    r"coupons?|vouchers?|promo codes?|descontos?|cupo(?:m|ns)|promo[cç](?:ão|ões)|"
    r"black friday|cyber ?monday|sorteo|giveaway|sorteio)\b"
)
_SHOUT = re.compile(r"\b[A-ZÁÉÍÓÚÑÃÕÇ]{4,}\b")
_LANG_FILE = re.compile(r"^[a-z]{2,3}$")
_HONORIFICS = frozenset({"dr", "dra", "sr", "sra", "srta", "mr", "mrs", "ms", "miss", "don",
                         "doña", "prof", "ing", "lic"})


class ScriptError(ValueError):
    """A script file problem, named by file, situation, language and script number."""


@dataclass(frozen=True)
class Script:
    """One response template and the channels where it may be posted."""

    situation: str
    lang: str
    text: str
    channels: tuple[str, ...]
    origin: str  # "es.toml, shipping_delay #2" style, for error messages and docs


def weighted_length(text: str) -> int:
    """Length as X counts it: Latin-range characters 1, everything else (CJK, emoji) 2.

    Counting each code point of an emoji sequence is more than X counts, which only errs on
    the safe side.
    """
    total = 0
    for ch in text:
        code = ord(ch)
        light = (code <= 4351 or 8192 <= code <= 8205 or 8208 <= code <= 8223
                 or 8242 <= code <= 8247)
        total += 1 if light else 2
    return total


def worst_case(text: str) -> str:
    """The template with every placeholder at its assumed maximum length."""
    return text.format_map({k: "x" * n for k, n in PLACEHOLDER_MAX.items()})


def _fields(text: str, where: str) -> set[str]:
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise ScriptError(f"{where}: broken braces ({exc}); write {{{{ and }}}} for "
                          "literal braces") from None
    names: set[str] = set()
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDER_MAX or spec or conversion:
            raise ScriptError(f"{where}: unknown placeholder {{{name}}}; allowed: "
                              + ", ".join(f"{{{k}}}" for k in PLACEHOLDER_MAX))
        names.add(name)
    return names


def validate(script: Script) -> None:
    """Raise `ScriptError` when the script could not be posted as is on one of its channels."""
    where = script.origin
    fields = _fields(script.text, where)
    literal = "".join(part for part, *_ in string.Formatter().parse(script.text))
    if not script.text.strip():
        raise ScriptError(f"{where}: empty text")
    if "private_channel" not in fields and script.situation not in NO_PRIVATE_CHANNEL:
        raise ScriptError(f"{where}: must offer {{private_channel}} so order details move "
                          "out of public view")
    for pattern, why in ((_LINK, "links"), (_MENTION_OR_TAG, "@mentions or #hashtags"),
                         (_SALES_WORDS, "sales or promotion words")):
        found = pattern.search(literal)
        if found:
            raise ScriptError(f"{where}: no {why} in public replies (found {found.group(0)!r}); "
                              "the only contact a script carries is {private_channel}")
    if script.situation == "abusive" and ("!" in literal or _SHOUT.search(literal)):
        raise ScriptError(f"{where}: replies to insults stay calm: no '!' and no CAPITALS")
    if not script.channels:
        raise ScriptError(f"{where}: channels is empty; use some of {sorted(CHANNEL_LIMITS)}")
    for channel in script.channels:
        if channel not in CHANNEL_LIMITS:
            raise ScriptError(f"{where}: unknown channel {channel!r}; use some of "
                              f"{sorted(CHANNEL_LIMITS)}")
        length = weighted_length(worst_case(script.text))
        if length > CHANNEL_LIMITS[channel]:
            raise ScriptError(
                f"{where}: {length} characters for {channel} with the longest placeholder "
                f"values ({_maxima()}), limit {CHANNEL_LIMITS[channel]}: shorten it or "
                f"drop {channel!r} from channels"
            )


def _maxima() -> str:
    return ", ".join(f"{k} {n}" for k, n in PLACEHOLDER_MAX.items())


def parse_file(path: Path, text: str) -> dict[str, list[Script]]:
    """Scripts of one language file, keyed by situation, validated."""
    lang = path.stem
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScriptError(f"{path}: TOML syntax error: {exc}") from None
    result: dict[str, list[Script]] = {}
    for situation, entries in data.items():
        if situation not in SITUATIONS:
            raise ScriptError(f"{path}: [[{situation}]]: unknown situation; use one of "
                              f"{list(SITUATIONS)}")
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise ScriptError(f"{path}: {situation}: write each script as a [[{situation}]] "
                              "table with text and channels")
        scripts = []
        for number, entry in enumerate(entries, 1):
            origin = f"{path}: situation {situation}, lang {lang}, script #{number}"
            extra = set(entry) - {"text", "channels"}
            if extra:
                raise ScriptError(f"{origin}: unknown key(s) {sorted(extra)}; "
                                  "expected text and channels")
            if not isinstance(entry.get("text"), str):
                raise ScriptError(f"{origin}: text is missing or not a string")
            channels = entry.get("channels")
            if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels):
                raise ScriptError(f"{origin}: channels must be a list such as "
                                  '["twitter", "reddit", "facebook"]')
            script = Script(situation, lang, entry["text"].strip(), tuple(channels), origin)
            validate(script)
            scripts.append(script)
        result[situation] = scripts
    return result


def _lang_files(folder: Iterable[Any]) -> list[Any]:
    return sorted((f for f in folder if f.name.endswith(".toml")
                   and _LANG_FILE.match(f.name.removesuffix(".toml"))), key=lambda f: f.name)


def personal_name(author_name: str, author_handle: str) -> str:
    """The author's first name when the display name has a plausible one, else the handle.

    Display names carry emoji, titles and @mentions ("🌸 MARÍA López", "@otra_marca"), and
    a public reply must not ping someone else: only a token of letters (plus ' and -) is
    taken as a name, written with a capital the way a person would.
    """
    for token in author_name.split():
        word = token.strip(".,;:!¡?¿\"'()[]{}*_~|")
        if word.casefold() in _HONORIFICS:
            continue
        if (2 <= len(word) <= PLACEHOLDER_MAX["name"]
                and all(ch.isalpha() or ch in "'’-" for ch in word)
                and any(ch.isalpha() for ch in word)):
            return word.capitalize() if (word.islower() or word.isupper()) else word
        if any(ch.isalnum() for ch in token):
            break  # the first real token is not a name: do not pick a surname instead
    return handle_without_prefix(author_handle) or "👋"


def handle_without_prefix(handle: str) -> str:
    """`@ana` / `u/ana` / `/u/ana` -> `ana`, clipped to the assumed maximum."""
    bare = handle.strip().lstrip("@")
    for prefix in ("/u/", "u/"):
        bare = bare.removeprefix(prefix)
    return bare[: PLACEHOLDER_MAX["handle"]]


def display_handle(handle: str, source: str) -> str:
    """The handle the way each platform writes it."""
    bare = handle_without_prefix(handle)
    if not bare:
        return ""
    return {"twitter": f"@{bare}", "reddit": f"u/{bare}"}.get(source, bare)


class ScriptLibrary:
    """Response templates per (situation, language), ready to personalise."""

    def __init__(self, scripts: dict[tuple[str, str], list[Script]]) -> None:
        self._scripts = scripts

    @classmethod
    def load(cls, overrides_dir: Path | None = None) -> ScriptLibrary:
        """Packaged scripts, with each situation found in `overrides_dir/<lang>.toml` replaced.

        Raises `ScriptError` for any invalid script (packaged or user), before any alert is
        sent, so a bad edit is caught by `vigia check`/start-up rather than by a customer.
        """
        scripts: dict[tuple[str, str], list[Script]] = {}
        packaged = resources.files("alerts") / "scripts"
        for item in _lang_files(packaged.iterdir()):
            path = Path("alerts/scripts") / item.name
            for situation, found in parse_file(path, item.read_text(encoding="utf-8")).items():
                scripts[(situation, path.stem)] = found
        if overrides_dir is not None:
            if not overrides_dir.is_dir():
                raise ScriptError(f"{overrides_dir}: scripts_dir is not a folder")
            for user_file in _lang_files(overrides_dir.iterdir()):
                try:
                    text = user_file.read_text(encoding="utf-8")
                except UnicodeDecodeError as exc:
                    raise ScriptError(f"{user_file}: not UTF-8 text ({exc.reason})") from None
                for situation, found in parse_file(user_file, text).items():
                    scripts[(situation, user_file.stem)] = found
        return cls(scripts)

    @property
    def languages(self) -> list[str]:
        """Languages that have at least one script."""
        return sorted({lang for _situation, lang in self._scripts})

    def scripts(self, situation: str, lang: str) -> list[Script]:
        """The templates of one situation in one language (no fallback)."""
        return list(self._scripts.get((situation, lang), []))

    def scripts_in(self, lang: str) -> list[Script]:
        """Every template of one language, in file order."""
        return [s for (_sit, code), group in self._scripts.items() if code == lang for s in group]

    def all_scripts(self) -> list[Script]:
        """Every template, for checks and documentation."""
        return [s for group in self._scripts.values() for s in group]

    def choose(self, situation: str, lang: str | None, source: str) -> list[Script]:
        """Templates for the situation in the customer's language, else es, else en.

        The language wins over the situation: when the customer's language has no script for
        this situation, its general `unknown` apology is used before trying another language,
        because a reply the customer cannot read is worse than a general one. Only templates
        declared for `source` are returned.
        """
        channel = source if source in CHANNEL_LIMITS else STRICTEST_CHANNEL
        chain = [code for code in (base_lang(lang), *FALLBACK_LANGS) if code]
        situations = [s for s in dict.fromkeys((situation, UNKNOWN)) if s in SITUATIONS]
        for code in dict.fromkeys(chain):
            for candidate in situations:
                fitting = [s for s in self._scripts.get((candidate, code), [])
                           if channel in s.channels]
                if fitting:
                    return fitting
        return []

    def suggest(
        self,
        situation: str,
        lang: str | None,
        *,
        author_name: str,
        author_handle: str,
        brand: str,
        source: str,
        private_channel: str,
        count: int = 3,
        seed: str | None = None,
    ) -> list[str]:
        """Up to `count` personalised replies that fit `source`'s length limit.

        `seed` (the alert key, say) rotates which scripts come first, so a brand does not post
        the identical sentence to every customer, which X treats as spam.
        """
        chosen = self.choose(situation, lang, source)
        if not chosen:
            return []
        script_lang = chosen[0].lang
        values = {
            "name": personal_name(author_name, author_handle),
            "handle": display_handle(author_handle, source),
            "brand": brand.strip()[: PLACEHOLDER_MAX["brand"]],
            "private_channel": private_channel.strip()
            or DEFAULT_PRIVATE_CHANNEL.get(script_lang, DEFAULT_PRIVATE_CHANNEL["en"]),
        }
        if seed is not None and len(chosen) > 1:
            start = int(hashlib.sha256(seed.encode()).hexdigest(), 16) % len(chosen)
            chosen = chosen[start:] + chosen[:start]
        limit = CHANNEL_LIMITS.get(source, CHANNEL_LIMITS[STRICTEST_CHANNEL])
        replies: list[str] = []
        for script in chosen:
            text = script.text.format_map(values)
            if weighted_length(text) <= limit and text not in replies:
                replies.append(text)
            if len(replies) >= count:
                break
        return replies
