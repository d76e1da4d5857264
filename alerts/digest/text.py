"""Words and number formats of the digest, in the brand's first language (es, en or pt).

Every renderer (HTML, Markdown, Slack) formats through here, so the small-number rule and
the units are the same everywhere: shares under `SMALL_N` items read "3 de 7", net sentiment
is shown in points from -100 to +100, and changes in points ("+5 pts").
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from alerts.digest.model import Share
from alerts.situations import situation_label

LANGS = ("es", "en", "pt")

_WORDS: dict[str, dict[str, str]] = {
    "es": {
        "title": "Resumen semanal",
        "pos_short": "Pos.",
        "neu_short": "Neu.",
        "neg_short": "Neg.",
        "net_short": "Neto",
        "week": "Semana",
        "empty": "Sin menciones de {brand} esta semana.",
        "mentions": "Menciones",
        "net": "Sentimiento neto",
        "positive": "positivas",
        "neutral": "neutras",
        "negative": "negativas",
        "unscored": "sin puntuar",
        "vs_previous": "vs. semana anterior",
        "vs_avg4": "vs. media de 4 semanas",
        "avg4": "media de 4 semanas",
        "too_few": "pocas menciones para comparar",
        "previous_was": "semana anterior: {pos} positivas y {neg} negativas de {n}",
        "per_day": "Por día",
        "per_source": "Por fuente",
        "per_language": "Por idioma",
        "complaints": "De qué se queja la gente",
        "no_complaints": "Ninguna queja clasificada.",
        "unclassified": "Negativas sin situación reconocida: {n}",
        "example": "Ejemplo",
        "top_negative": "Negativas con más alcance",
        "top_positive": "Positivas con más alcance",
        "none": "Ninguna.",
        "responses": "Respuestas a menciones negativas",
        "answered": "Respondidas",
        "median": "Mediana primera respuesta",
        "p90": "P90 primera respuesta",
        "within": "Dentro del objetivo ({target})",
        "business_hours": "en horario laboral",
        "open": "Sin responder y abiertas",
        "closed_private": "Cerradas sin respuesta pública",
        "crises": "Alertas de crisis",
        "corrections": "Correcciones de sentimiento en Slack",
        "corrected_of": "{part} corregidas de {whole} puntuadas",
        "no_corrections": "Ninguna corrección esta semana.",
        "reach": "alcance",
        "link": "ver",
        "csv": "Descargar las menciones de la semana (CSV)",
        "of": "de",
        "pts": "pts",
        "small_note": "Con menos de 10 elementos se muestran conteos, no porcentajes. "
                      "Sentimiento neto = (positivas − negativas) / puntuadas, de −100 a +100.",
        "chart_alt": "Menciones por día y sentimiento neto",
        "chart_empty": "Sin menciones esta semana",
        "day": "Día",
        "total": "Total",
        "source": "Fuente",
        "language": "Idioma",
        "situation": "Situación",
        "count": "Menciones",
        "when": "Cuándo",
        "state": "Estado",
        "report_file": "Informe",
    },
    "en": {
        "title": "Weekly digest",
        "pos_short": "Pos.",
        "neu_short": "Neu.",
        "neg_short": "Neg.",
        "net_short": "Net",
        "week": "Week",
        "empty": "No mentions of {brand} this week.",
        "mentions": "Mentions",
        "net": "Net sentiment",
        "positive": "positive",
        "neutral": "neutral",
        "negative": "negative",
        "unscored": "unscored",
        "vs_previous": "vs previous week",
        "vs_avg4": "vs 4-week average",
        "avg4": "4-week average",
        "too_few": "too few mentions to compare",
        "previous_was": "previous week: {pos} positive and {neg} negative of {n}",
        "per_day": "Per day",
        "per_source": "Per source",
        "per_language": "Per language",
        "complaints": "What people complain about",
        "no_complaints": "No classified complaints.",
        "unclassified": "Negative mentions without a recognised situation: {n}",
        "example": "Example",
        "top_negative": "Negative mentions with most reach",
        "top_positive": "Positive mentions with most reach",
        "none": "None.",
        "responses": "Responses to negative mentions",
        "answered": "Answered",
        "median": "Median first response",
        "p90": "P90 first response",
        "within": "Within target ({target})",
        "business_hours": "in business hours",
        "open": "Unanswered and open",
        "closed_private": "Closed without a public reply",
        "crises": "Crisis alerts",
        "corrections": "Sentiment corrections in Slack",
        "corrected_of": "{part} corrected of {whole} scored",
        "no_corrections": "No corrections this week.",
        "reach": "reach",
        "link": "open",
        "csv": "Download the week's mentions (CSV)",
        "of": "of",
        "pts": "pts",
        "small_note": "Below 10 items counts are shown, not percentages. "
                      "Net sentiment = (positive − negative) / scored, from −100 to +100.",
        "chart_alt": "Mentions per day and net sentiment",
        "chart_empty": "No mentions this week",
        "day": "Day",
        "total": "Total",
        "source": "Source",
        "language": "Language",
        "situation": "Situation",
        "count": "Mentions",
        "when": "When",
        "state": "State",
        "report_file": "Report",
    },
    "pt": {
        "title": "Resumo semanal",
        "pos_short": "Pos.",
        "neu_short": "Neu.",
        "neg_short": "Neg.",
        "net_short": "Líq.",
        "week": "Semana",
        "empty": "Nenhuma menção de {brand} nesta semana.",
        "mentions": "Menções",
        "net": "Sentimento líquido",
        "positive": "positivas",
        "neutral": "neutras",
        "negative": "negativas",
        "unscored": "sem pontuação",
        "vs_previous": "vs. semana anterior",
        "vs_avg4": "vs. média de 4 semanas",
        "avg4": "média de 4 semanas",
        "too_few": "poucas menções para comparar",
        "previous_was": "semana anterior: {pos} positivas e {neg} negativas de {n}",
        "per_day": "Por dia",
        "per_source": "Por fonte",
        "per_language": "Por idioma",
        "complaints": "Do que as pessoas reclamam",
        "no_complaints": "Nenhuma reclamação classificada.",
        "unclassified": "Negativas sem situação reconhecida: {n}",
        "example": "Exemplo",
        "top_negative": "Negativas com mais alcance",
        "top_positive": "Positivas com mais alcance",
        "none": "Nenhuma.",
        "responses": "Respostas a menções negativas",
        "answered": "Respondidas",
        "median": "Mediana da primeira resposta",
        "p90": "P90 da primeira resposta",
        "within": "Dentro da meta ({target})",
        "business_hours": "em horário comercial",
        "open": "Sem resposta e abertas",
        "closed_private": "Fechadas sem resposta pública",
        "crises": "Alertas de crise",
        "corrections": "Correções de sentimento no Slack",
        "corrected_of": "{part} corrigidas de {whole} pontuadas",
        "no_corrections": "Nenhuma correção nesta semana.",
        "reach": "alcance",
        "link": "ver",
        "csv": "Baixar as menções da semana (CSV)",
        "of": "de",
        "pts": "pts",
        "small_note": "Com menos de 10 itens mostram-se contagens, não percentagens. "
                      "Sentimento líquido = (positivas − negativas) / pontuadas, de −100 a +100.",
        "chart_alt": "Menções por dia e sentimento líquido",
        "chart_empty": "Nenhuma menção nesta semana",
        "day": "Dia",
        "total": "Total",
        "source": "Fonte",
        "language": "Idioma",
        "situation": "Situação",
        "count": "Menções",
        "when": "Quando",
        "state": "Estado",
        "report_file": "Relatório",
    },
}

_WEEKDAYS = {
    "es": ("lun", "mar", "mié", "jue", "vie", "sáb", "dom"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "pt": ("seg", "ter", "qua", "qui", "sex", "sáb", "dom"),
}


def report_language(languages: list[str]) -> str:
    """The brand's first language we have words for; English otherwise."""
    return next((lang for lang in languages if lang in LANGS), "en")


class Words:
    """Labels and formats of one language; `w["key"]` or `w.key` read a label."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGS else "en"
        self._words = _WORDS[self.lang]

    def __getitem__(self, key: str) -> str:
        return self._words[key]

    def __getattr__(self, key: str) -> str:
        try:
            return self._words[key]
        except KeyError:
            raise AttributeError(key) from None

    def situation_name(self, name: str) -> str:
        return situation_label(name, self.lang)

    def label_name(self, label: str) -> str:
        """"negative" -> "negativas"; a missing label ("none") -> "—"."""
        return self._words.get(label, "—") if label in ("positive", "neutral", "negative") \
            else "—"

    def share(self, share: Share) -> str:
        """"43%" from 10 items up, "3 de 7" below, "—" for nothing."""
        if share.whole == 0:
            return "—"
        if share.small:
            return f"{share.part} {self['of']} {share.whole}"
        return f"{round(100 * share.part / share.whole)}%"

    def points(self, value: float | None) -> str:
        if value is None:
            return "—"
        points = round(100 * value)
        return f"{points:+d}" if points else "0"

    def change(self, value: float | None) -> str:
        return "—" if value is None else f"{round(100 * value):+d} {self['pts']}"

    def minutes(self, value: float | None) -> str:
        if value is None:
            return "—"
        total = round(value)
        if total < 60:
            return f"{total} min"
        hours, mins = divmod(total, 60)
        if hours < 48:
            return f"{hours} h {mins:02d} min" if mins else f"{hours} h"
        days, hours = divmod(hours, 24)
        return f"{days} d {hours} h" if hours else f"{days} d"

    def weekday(self, value: date) -> str:
        return f"{_WEEKDAYS[self.lang][value.weekday()]} {value.day}"

    def moment(self, value: datetime, timezone: str) -> str:
        local = value.astimezone(ZoneInfo(timezone))
        return f"{self.weekday(local.date())} {local:%H:%M}"

    def number(self, value: int) -> str:
        text = f"{value:,}"
        return text.replace(",", ".") if self.lang in ("es", "pt") else text
