"""Response scripts: packaged files valid, bad edits caught at load, replies personal and short."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerts.scripts import (
    CHANNEL_LIMITS,
    PLACEHOLDER_MAX,
    ScriptError,
    ScriptLibrary,
    personal_name,
    weighted_length,
    worst_case,
)
from alerts.situations import SITUATIONS

PACKAGED_LANGS = ("es", "en", "pt")
LONG = {"name": "N" * 50, "handle": "h" * 50, "brand": "B" * 40, "private_channel": "P" * 60}


@pytest.fixture(scope="module")
def library() -> ScriptLibrary:
    return ScriptLibrary.load()


def _suggest(library: ScriptLibrary, situation: str = "shipping_delay", lang: str | None = "es",
             **overrides: object) -> list[str]:
    kwargs: dict[str, object] = {
        "author_name": "María José López", "author_handle": "@majo", "brand": "Tienda Sol",
        "source": "twitter", "private_channel": "DM o hola@sol.example",
    }
    kwargs.update(overrides)
    return library.suggest(situation, lang, **kwargs)  # type: ignore[arg-type]


# ------------------------------------------------------------------ packaged content


@pytest.mark.parametrize("lang", PACKAGED_LANGS)
@pytest.mark.parametrize("situation", SITUATIONS)
def test_packaged_coverage(library: ScriptLibrary, situation: str, lang: str) -> None:
    scripts = library.scripts(situation, lang)
    assert len(scripts) >= 2
    assert sum("twitter" in s.channels for s in scripts) >= 2  # X gets two choices too


def test_at_least_72_scripts(library: ScriptLibrary) -> None:
    assert len(library.all_scripts()) >= 72
    assert set(PACKAGED_LANGS) <= set(library.languages)


def test_every_twitter_script_fits_with_worst_case_values(library: ScriptLibrary) -> None:
    for script in library.all_scripts():
        if "twitter" in script.channels:
            assert weighted_length(script.text.format_map(LONG)) <= 280, script.origin
        for channel in script.channels:
            assert weighted_length(worst_case(script.text)) <= CHANNEL_LIMITS[channel]


def test_every_script_offers_private_channel_except_praise(library: ScriptLibrary) -> None:
    for script in library.all_scripts():
        if script.situation == "praise":
            assert "{private_channel}" not in script.text
        else:
            assert "{private_channel}" in script.text, script.origin


def test_abusive_scripts_stay_calm(library: ScriptLibrary) -> None:
    for script in library.all_scripts():
        if script.situation == "abusive":
            assert "!" not in script.text and "¡" not in script.text


def test_spanish_avoids_tu_vs_vos_forms(library: ScriptLibrary) -> None:
    """Neutral Spanish (docs/scripts.md): no forms that differ between tú and vos."""
    banned = ("escríbenos", "tienes", "quieres", "puedes", " ti ", "contigo", "vosotros")
    for script in library.scripts_in("es"):
        lowered = f" {script.text.lower()} "
        assert not [w for w in banned if w in lowered], script.origin


# ------------------------------------------------------------------ load-time validation


def _write(folder: Path, lang: str, body: str) -> Path:
    path = folder / f"{lang}.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_twitter_script_over_limit_names_file_situation_lang_length(tmp_path: Path) -> None:
    text = "Hola {name}, " + "a" * 200 + " {private_channel}"
    path = _write(tmp_path, "es", f'[[damaged]]\nchannels = ["twitter"]\ntext = "{text}"\n')
    with pytest.raises(ScriptError) as err:
        ScriptLibrary.load(tmp_path)
    message = str(err.value)
    expected = len(text) - len("{name}{private_channel}") + PLACEHOLDER_MAX["name"] + 60
    assert str(path) in message and "damaged" in message and "lang es" in message
    assert f"{expected} characters for twitter" in message and "280" in message


def test_long_script_allowed_on_reddit_only(tmp_path: Path) -> None:
    text = "Hola {name}, " + "a" * 400 + " {private_channel}"
    _write(tmp_path, "es", f'[[damaged]]\nchannels = ["reddit"]\ntext = "{text}"\n')
    library = ScriptLibrary.load(tmp_path)
    assert library.scripts("damaged", "es")[0].channels == ("reddit",)


@pytest.mark.parametrize(("body", "message"), [
    ('[[damaged]]\nchannels = ["twitter"]\ntext = "Hola {name}, lo sentimos."\n',
     "must offer {private_channel}"),
    ('[[damaged]]\nchannels = ["twitter"]\ntext = "Hola {nombre}, {private_channel}"\n',
     "unknown placeholder {nombre}"),
    ('[[damaged]]\nchannels = ["twitter"]\ntext = "Hola {name!r} {private_channel}"\n',
     "unknown placeholder"),
    ('[[damaged]]\nchannels = ["twitter"]\ntext = "Hola {} {private_channel}"\n',
     "unknown placeholder"),
    ('[[damaged]]\nchannels = ["twitter"]\ntext = "Hola { {private_channel}"\n',
     "broken braces"),
    ('[[damaged]]\nchannels = ["tiktok"]\ntext = "Hola {private_channel}"\n',
     "unknown channel 'tiktok'"),
    ('[[damaged]]\nchannels = []\ntext = "Hola {private_channel}"\n', "channels is empty"),
    ('[[damaged]]\ntext = "Hola {private_channel}"\n', "channels must be a list"),
    ('[[damaged]]\nchannels = ["twitter"]\n', "text is missing"),
    ('[[damaged]]\nchannels = ["twitter"]\ntext = "x {private_channel}"\ntone = "warm"\n',
     "unknown key(s) ['tone']"),
    ('[[late]]\nchannels = ["twitter"]\ntext = "x {private_channel}"\n',
     "[[late]]: unknown situation"),
    ('damaged = "x"\n', "write each script as a [[damaged]] table"),
    ('[[damaged]]\nchannels = ["twitter"]\ntext = "Mira https://sol.example {private_channel}"\n',
     "no links"),
    ('[[damaged]]\nchannels = ["twitter"]\ntext = "Visita sol.com {private_channel}"\n',
     "no links"),
    ('[[damaged]]\nchannels = ["twitter"]\ntext = "Habla con @soporte {private_channel}"\n',
     "@mentions"),
    ('[[damaged]]\nchannels = ["twitter"]\ntext = "Perdón #SolTeCuida {private_channel}"\n',
     "#hashtags"),
    ('[[damaged]]\nchannels = ["twitter"]\ntext = "Te damos un cupón {private_channel}"\n',
     "sales or promotion words"),
    ('[[abusive]]\nchannels = ["twitter"]\ntext = "Calma, por favor! {private_channel}"\n',
     "stay calm"),
    ('[[abusive]]\nchannels = ["twitter"]\ntext = "RESPETO, {name}. {private_channel}"\n',
     "stay calm"),
    ('[[damaged]]\nchannels = ["twitter"]\ntext = "   "\n', "empty text"),
    ('[[damaged]\n', "TOML syntax error"),
])
def test_bad_user_script_is_a_load_error(tmp_path: Path, body: str, message: str) -> None:
    path = _write(tmp_path, "es", body)
    with pytest.raises(ScriptError) as err:
        ScriptLibrary.load(tmp_path)
    assert str(path) in str(err.value)
    assert message in str(err.value)


def test_praise_needs_no_private_channel(tmp_path: Path) -> None:
    _write(tmp_path, "es", '[[praise]]\nchannels = ["twitter"]\ntext = "¡Gracias, {name}!"\n')
    assert ScriptLibrary.load(tmp_path).scripts("praise", "es")[0].text == "¡Gracias, {name}!"


def test_missing_overrides_dir_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match="not a folder"):
        ScriptLibrary.load(tmp_path / "nope")


def test_overrides_replace_one_situation_and_add_languages(tmp_path: Path) -> None:
    _write(tmp_path, "es", '[[damaged]]\nchannels = ["twitter"]\n'
           'text = "Uy, {name}, lo arreglamos: {private_channel}."\n')
    _write(tmp_path, "fr", '[[unknown]]\nchannels = ["twitter", "reddit", "facebook"]\n'
           'text = "Bonjour {name}, écrivez-nous par {private_channel}."\n')
    (tmp_path / "situations.toml").write_text("priority = []\n", encoding="utf-8")  # ignored
    library = ScriptLibrary.load(tmp_path)
    assert [s.text for s in library.scripts("damaged", "es")] == [
        "Uy, {name}, lo arreglamos: {private_channel}."]
    assert len(library.scripts("payment", "es")) >= 2  # untouched situations keep defaults
    assert _suggest(library, "damaged", "fr") == [
        "Bonjour María, écrivez-nous par DM o hola@sol.example."]


# ------------------------------------------------------------------ personalisation


def test_suggest_substitutes_name_brand_and_private_channel(library: ScriptLibrary) -> None:
    replies = _suggest(library, "shipping_delay", "es", source="facebook")
    assert 2 <= len(replies) <= 3
    assert all("María" in r and "DM o hola@sol.example" in r for r in replies)
    assert any("Tienda Sol" in r for r in replies)
    assert not any("{" in r for r in replies)


@pytest.mark.parametrize(("lang", "word"), [
    ("es", "pedido"), ("es-MX", "pedido"), ("en", "order"), ("en-GB", "order"),
    ("pt", "pedido"), ("pt-BR", "pedido"),
])
def test_suggest_in_customer_language(library: ScriptLibrary, lang: str, word: str) -> None:
    replies = _suggest(library, "shipping_delay", lang)
    assert replies and all(word in r for r in replies)


def test_language_fallback_es_then_en(library: ScriptLibrary) -> None:
    assert _suggest(library, "damaged", "fr") == _suggest(library, "damaged", "es")
    assert _suggest(library, "damaged", None) == _suggest(library, "damaged", "es")


def test_fallback_to_english_when_spanish_missing(tmp_path: Path) -> None:
    library = ScriptLibrary({})
    assert library.suggest("damaged", "fr", author_name="A", author_handle="a", brand="B",
                           source="twitter", private_channel="DM") == []
    packaged = ScriptLibrary.load()
    only_en = ScriptLibrary({key: packaged.scripts(*key) for key in
                             [("damaged", "en"), ("unknown", "en")]})
    replies = only_en.suggest("damaged", "de", author_name="Ana", author_handle="a",
                              brand="B", source="twitter", private_channel="DM")
    assert replies and "damaged" in replies[0]


@pytest.mark.parametrize("situation", ["unknown", "not-a-situation", "other"])
def test_unknown_situation_gets_general_apology(library: ScriptLibrary, situation: str) -> None:
    replies = _suggest(library, situation, "es")
    assert replies == _suggest(library, "unknown", "es")
    assert all("DM o hola@sol.example" in r for r in replies)


@pytest.mark.parametrize("lang", PACKAGED_LANGS)
@pytest.mark.parametrize("situation", SITUATIONS)
def test_twitter_replies_fit_with_long_values(library: ScriptLibrary, situation: str,
                                              lang: str) -> None:
    replies = library.suggest(situation, lang, author_name="N" * 80, author_handle="h" * 80,
                              brand="B" * 80, source="twitter", private_channel="P" * 60)
    assert len(replies) >= 2
    assert all(weighted_length(r) <= 280 for r in replies)


def test_reddit_and_facebook_get_the_longer_scripts_too(library: ScriptLibrary) -> None:
    twitter = _suggest(library, "payment", "es", source="twitter")
    reddit = _suggest(library, "payment", "es", source="reddit")
    assert len(twitter) == 2 and len(reddit) == 3
    assert max(map(len, reddit)) > 280


def test_private_channel_too_long_skips_rather_than_overflows(library: ScriptLibrary) -> None:
    replies = _suggest(library, "payment", "es", private_channel="x" * 250)
    assert replies == []


def test_empty_private_channel_gets_a_readable_default(library: ScriptLibrary) -> None:
    assert all("mensaje privado" in r for r in _suggest(library, "payment", "es",
                                                          private_channel=""))
    assert all("direct message" in r for r in _suggest(library, "payment", "en",
                                                         private_channel=" "))


def test_count_and_rotation(library: ScriptLibrary) -> None:
    assert len(_suggest(library, "payment", "es", source="reddit", count=1)) == 1
    firsts = {_suggest(library, "payment", "es", source="reddit", seed=f"k{i}")[0]
              for i in range(20)}
    assert len(firsts) >= 2  # different alerts do not all lead with the same sentence
    assert _suggest(library, seed="k1") == _suggest(library, seed="k1")


@pytest.mark.parametrize(("display", "handle", "expected"), [
    ("María José López", "@majo", "María"),
    ("🌸 MARÍA 🌸", "@majo", "María"),
    ("juan", "@jp", "Juan"),
    ("O'Brien-Smith", "x", "O'Brien-Smith"),
    ("@otra_marca", "@majo", "majo"),  # never ping another account from our reply
    ("https://spam.example", "u/spammer", "spammer"),
    ("", "/u/reddit_user", "reddit_user"),
    ("J", "@j_dog", "j_dog"),
    ("🔥🔥", "", "👋"),
    ("Dr. House", "@h", "House"),
    ("123 Ana", "@ana", "ana"),
])
def test_personal_name(display: str, handle: str, expected: str) -> None:
    assert personal_name(display, handle) == expected


def test_customer_braces_are_not_reinterpreted(library: ScriptLibrary) -> None:
    replies = _suggest(library, "payment", "es", author_name="", author_handle="{brand}",
                       brand="Sol")
    assert replies and all("{brand}" in r for r in replies)
