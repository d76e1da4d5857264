"""Which customer situation a mention describes, so the right response scripts are suggested.

Detection is deliberately a transparent phrase matcher driven by a TOML file that a community
manager can read and edit (`alerts/scripts/situations.toml`, overridable by `situations.toml`
in `Config.scripts_dir`), not a model: when it picks the wrong scripts, the fix is one line in
a file, and `explain()` shows which phrase fired.

Matching rules, all documented in docs/scripts.md:

* text and phrases are normalised the same way (NFKD, accents dropped, casefold, runs of three or
  more equal letters collapsed: "Llegóooo" == "llego"), so phrases can be written with or
  without accents;
* a phrase matches whole words only ("cobro" never matches inside "cobros" or "descobro");
* `*` at the end of a word is a prefix wildcard ("reembols*" = reembolso, reembolsen...);
* `...` stands for up to five words in between ("no ... llega*" = "no me ha llegado");
* `|` separates alternatives between two `...` ("roto|rota|no funciona");
* the customer's language rules plus the language-independent `any` rules are tried first;
  when nothing matches (or the language is unknown) every language's rules are tried, because
  platform language tags are often wrong on short posts;
* several situations can match: the first one in `priority` wins (money first, silence late,
  insults and praise last, so the concrete problem behind an angry post gets the script);
* `presale_question` and `postsale_question` are only chosen for question cases
  (`question_situation`): their cues ("mi pedido", "tracking", "nota fiscal") are everyday words
  in complaints too, where the concrete problem or the general apology fits better.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

SITUATIONS: tuple[str, ...] = (
    "shipping_delay",
    "shipping_cost",
    "damaged",
    "wrong_item",
    "returns_refunds",
    "payment",
    "no_answer",
    "product_question",
    "presale_question",
    "postsale_question",
    "account_login",
    "abusive",
    "praise",
    "unknown",
)

UNKNOWN = "unknown"
# Only for question cases, post-sale cues first: "¿cuándo llega mi pedido?" is not pre-sale.
QUESTION_SITUATIONS: tuple[str, ...] = ("postsale_question", "presale_question")
# What a question case replaces with a pre- or post-sale question: no concrete problem named.
GENERAL_SITUATIONS = frozenset({UNKNOWN, "praise", "abusive", "product_question",
                                *QUESTION_SITUATIONS})
RULES_FILE = "situations.toml"
MAX_GAP_WORDS = 5
MAX_TEXT = 5_000  # long Reddit posts state their problem early; keeps detection fast

# Human names, shown in Slack: English for the team, plus the customer's language.
SITUATION_LABELS: dict[str, dict[str, str]] = {
    "shipping_delay": {"en": "Shipping delay", "es": "Retraso en el envío",
                       "pt": "Atraso na entrega"},
    "shipping_cost": {"en": "Shipping cost", "es": "Precio del envío", "pt": "Custo do frete"},
    "damaged": {"en": "Damaged item", "es": "Producto dañado", "pt": "Produto danificado"},
    "wrong_item": {"en": "Wrong item", "es": "Producto equivocado", "pt": "Produto errado"},
    "returns_refunds": {"en": "Return / refund", "es": "Devolución / reembolso",
                        "pt": "Devolução / reembolso"},
    "payment": {"en": "Payment problem", "es": "Problema de pago",
                "pt": "Problema de pagamento"},
    "no_answer": {"en": "No answer from support", "es": "Sin respuesta de atención",
                  "pt": "Sem resposta do atendimento"},
    "product_question": {"en": "Product question", "es": "Pregunta sobre producto",
                         "pt": "Dúvida sobre produto"},
    "presale_question": {"en": "Question before buying", "es": "Pregunta antes de comprar",
                         "pt": "Dúvida antes da compra"},
    "postsale_question": {"en": "Question about an order", "es": "Pregunta sobre un pedido",
                          "pt": "Dúvida sobre um pedido"},
    "account_login": {"en": "Account / login", "es": "Cuenta / acceso", "pt": "Conta / acesso"},
    "abusive": {"en": "Abusive / insulting", "es": "Insultos / agresivo",
                "pt": "Ofensivo / agressivo"},
    "praise": {"en": "Praise", "es": "Elogio", "pt": "Elogio"},
    "unknown": {"en": "Other", "es": "Otro", "pt": "Outro"},
}


class RulesError(ValueError):
    """A problem in a situations.toml, phrased for the person editing it (file + key)."""


def situation_label(situation: str, lang: str | None = "en") -> str:
    """Human name of a situation in `lang` (English when the language has no label)."""
    labels = SITUATION_LABELS.get(situation, SITUATION_LABELS[UNKNOWN])
    return labels.get(base_lang(lang) or "en", labels["en"])


def base_lang(lang: str | None) -> str | None:
    """'es-MX' / 'pt_BR' / 'ES' -> 'es' / 'pt'; None and 'und' stay unknown."""
    if not lang:
        return None
    code = lang.replace("_", "-").split("-", 1)[0].strip().casefold()
    return code if code and code not in ("und", "zxx", "qme", "qht") else None


_REPEATS = re.compile(r"([^\W\d_])\1{2,}")  # letters only: "1000" stays
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Lower-case, accent-free, punctuation-free text with single spaces (matching form).

    Emoji and other symbols are kept as their own space-separated tokens so `any` rules such as
    "😡" or "🙏" can match them.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    no_marks = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    folded = no_marks.casefold()
    spaced = "".join(
        f" {ch} " if unicodedata.category(ch) == "So" else ch for ch in folded
    )
    words = _REPEATS.sub(r"\1", _strip_punct(spaced))
    return _SPACES.sub(" ", words).strip()


def _strip_punct(text: str) -> str:
    """Replace punctuation with spaces but keep symbols (emoji) that `normalise` spaced out."""
    return "".join(
        ch if ch.isalnum() or ch == "_" or ch.isspace() or unicodedata.category(ch) == "So"
        else " "
        for ch in text
    )


def compile_phrase(phrase: str) -> re.Pattern[str]:
    """Turn a rule phrase into a whole-word regex over normalised text.

    Syntax: `...` splits the phrase into parts separated by up to MAX_GAP_WORDS words; inside a
    part, `|` separates alternatives ("no me llega|nunca llego"); a word ending in `*` is a
    prefix wildcard.
    """
    segments = [seg.strip() for seg in phrase.split("...")]
    parts = []
    for segment in segments:
        options = [o for o in (_option(opt) for opt in segment.split("|")) if o]
        if options:
            parts.append(options[0] if len(options) == 1 else "(?:" + "|".join(options) + ")")
    if not parts:
        raise ValueError(f"phrase {phrase!r} has no words")
    gap = rf"(?:\s+\S+){{0,{MAX_GAP_WORDS}}}?\s+"
    return re.compile(r"(?<!\w)" + gap.join(parts) + r"(?!\w)")


def _option(option: str) -> str:
    """One alternative: words joined by spaces, `*` on a word making it a prefix."""
    words: list[str] = []
    for raw in option.split():
        norm = normalise(raw.rstrip("*")).split()
        if not norm:
            continue
        words.extend(re.escape(w) for w in norm[:-1])
        words.append(re.escape(norm[-1]) + (r"\w*" if raw.endswith("*") else ""))
    return r"\s+".join(words)


@dataclass(frozen=True)
class Rule:
    """One phrase of one situation, kept with its origin for `explain()`."""

    situation: str
    lang: str  # "any" for language-independent rules
    phrase: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Match:
    """Why a situation was chosen: the rules that fired, in priority order."""

    situation: str
    rules: tuple[Rule, ...] = field(default_factory=tuple)


class SituationDetector:
    """Phrase rules per situation and language, applied in a fixed priority order."""

    def __init__(self, rules: list[Rule], unless: list[Rule], priority: list[str]) -> None:
        self.rules = rules
        self.unless = unless
        self.priority = priority
        self.languages = sorted({r.lang for r in rules if r.lang != "any"})

    @classmethod
    def load(cls, rules_path: Path | None = None, *, merge_defaults: bool = True
             ) -> SituationDetector:
        """Packaged rules, plus a user file (or a scripts_dir holding `situations.toml`).

        User phrases are added to the packaged ones; a situation table with `replace = true`
        drops the packaged phrases for it; a top-level `priority` list replaces the order.
        """
        data = _packaged_rules() if merge_defaults or rules_path is None else {}
        origin = "alerts/scripts/situations.toml"
        if rules_path is not None:
            path = rules_path / RULES_FILE if rules_path.is_dir() else rules_path
            if path.exists():
                data = _merge(data, _read(path), path)
                origin = str(path)
            elif not rules_path.is_dir():
                raise RulesError(f"{path}: situation rules file not found")
        return cls._build(data, origin)

    @classmethod
    def _build(cls, data: dict[str, Any], origin: str) -> SituationDetector:
        priority = list(data.get("priority", []))
        unknown = [s for s in priority if s not in SITUATIONS or s == UNKNOWN]
        if unknown:
            raise RulesError(f"{origin}: priority: unknown situation(s) {unknown}; "
                             f"use ids from {list(SITUATIONS[:-1])}")
        priority += [s for s in SITUATIONS if s not in priority and s != UNKNOWN]
        rules: list[Rule] = []
        unless: list[Rule] = []
        for situation, table in data.get("situations", {}).items():
            for key, phrases in table.items():
                if key == "replace":
                    continue
                target = unless if key == "unless" else rules
                lang = "any" if key == "unless" else key
                for phrase in phrases:
                    try:
                        pattern = compile_phrase(phrase)
                    except ValueError as exc:
                        raise RulesError(f"{origin}: situations.{situation}.{key}: {exc}") from None
                    target.append(Rule(situation, lang, phrase, pattern))
        return cls(rules, unless, priority)

    def explain(self, text: str, lang: str | None, *, questions: bool = False) -> Match:
        """The chosen situation and every rule that fired for it (for the docs and debugging).

        With `questions` only the question situations (`QUESTION_SITUATIONS`) are considered;
        without it they never are.
        """
        norm = normalise(text[:MAX_TEXT])
        code = base_lang(lang)
        def wanted(rule: Rule) -> bool:
            return (rule.situation in QUESTION_SITUATIONS) == questions

        fired = self._fired(norm, lambda r: wanted(r) and r.lang in ("any", code)) if code else []
        if not fired:
            fired = self._fired(norm, wanted)
        vetoed = {r.situation for r in self.unless if r.pattern.search(norm)}
        by_situation: dict[str, list[Rule]] = {}
        for rule in fired:
            if rule.situation not in vetoed:
                by_situation.setdefault(rule.situation, []).append(rule)
        for situation in self.priority:
            if situation in by_situation:
                return Match(situation, tuple(by_situation[situation]))
        return Match(UNKNOWN)

    def detect(self, text: str, lang: str | None) -> str:
        """The situation id for a mention's text ("unknown" when no rule matches)."""
        return self.explain(text, lang).situation

    def _fired(self, norm: str, keep: Callable[[Rule], bool]) -> list[Rule]:
        return [r for r in self.rules if keep(r) and r.pattern.search(norm)]


def _read(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{path}: TOML syntax error: {exc}") from None
    except UnicodeDecodeError as exc:
        raise RulesError(f"{path}: not UTF-8 text ({exc.reason})") from None
    _validate(data, path)
    return data


def _validate(data: dict[str, Any], path: Path | str) -> None:
    extra = set(data) - {"priority", "situations"}
    if extra:
        raise RulesError(f"{path}: unknown top-level key(s) {sorted(extra)}; "
                         "expected 'priority' and [situations.<id>] tables")
    if not isinstance(data.get("priority", []), list):
        raise RulesError(f"{path}: priority: expected a list of situation ids")
    for situation, table in data.get("situations", {}).items():
        if situation not in SITUATIONS or situation == UNKNOWN:
            raise RulesError(f"{path}: situations.{situation}: unknown situation; "
                             f"use one of {list(SITUATIONS[:-1])}")
        if not isinstance(table, dict):
            raise RulesError(f"{path}: situations.{situation}: expected a table")
        for key, value in table.items():
            if key == "replace":
                if not isinstance(value, bool):
                    raise RulesError(f"{path}: situations.{situation}.replace: expected true/false")
                continue
            if not re.fullmatch(r"[a-z]{2,3}|any|unless", key):
                raise RulesError(f"{path}: situations.{situation}.{key}: expected a language "
                                 "code (es, en, pt...), 'any' or 'unless'")
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise RulesError(f"{path}: situations.{situation}.{key}: expected a list of "
                                 "phrases (strings)")


def _merge(base: dict[str, Any], user: dict[str, Any], path: Path) -> dict[str, Any]:
    merged: dict[str, Any] = {
        "priority": user.get("priority", base.get("priority", [])),
        "situations": {k: dict(v) for k, v in base.get("situations", {}).items()},
    }
    for situation, table in user.get("situations", {}).items():
        current = {} if table.get("replace") else merged["situations"].get(situation, {})
        for key, phrases in table.items():
            if key != "replace":
                current[key] = [*current.get(key, []), *phrases]
        merged["situations"][situation] = current
    return merged


@lru_cache(maxsize=1)
def _packaged_text() -> str:
    return (resources.files("alerts") / "scripts" / RULES_FILE).read_text(encoding="utf-8")


def _packaged_rules() -> dict[str, Any]:
    data = tomllib.loads(_packaged_text())
    _validate(data, "alerts/scripts/situations.toml")
    return data


@lru_cache(maxsize=1)
def default_detector() -> SituationDetector:
    """The packaged rules, built once per process."""
    return SituationDetector.load()


def detect_situation(text: str, lang: str | None) -> str:
    """Situation id with the packaged rules (use `SituationDetector.load(scripts_dir)` for
    user overrides)."""
    return default_detector().detect(text, lang)


def question_situation(situation: str, text: str, lang: str | None,
                       detector: SituationDetector | None = None) -> str:
    """The script situation for a question case.

    A question about a concrete problem (a double charge, a return) keeps that problem's
    scripts. Any other question is post-sale when it has a post-sale cue (order, tracking,
    invoice, changing the address: `[situations.postsale_question]`), else pre-sale: a question
    before buying is the common case, and its scripts fit a question with no cue at all.
    """
    if situation not in GENERAL_SITUATIONS:
        return situation
    match = (detector or default_detector()).explain(text, lang, questions=True)
    return "postsale_question" if match.situation == "postsale_question" else "presale_question"
