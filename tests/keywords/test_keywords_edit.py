"""Editing config.toml: comments kept, validated before writing, atomic, all or nothing."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from monitor.config import ConfigError, load_config
from monitor.keywords.editing import (
    KeywordEditError,
    add_keyword,
    add_keywords,
    remove_keyword,
    remove_keywords,
)
from tests.keywords.keyword_helpers import COMMENTED_CONFIG

COMMENTS = [line for line in COMMENTED_CONFIG.splitlines() if "#" in line]


def test_add_keeps_every_comment_and_validates(config_file: Path) -> None:
    config = add_keyword(config_file, "Sol", "terms", "  Sol  Market ")
    text = config_file.read_text(encoding="utf-8")
    for line in COMMENTS:
        assert line in text
    assert '    "envío gratis",\n    "Sol Market",\n]' in text  # multi-line layout kept
    assert config.brand("Sol").keywords.terms == ["tienda sol", "envío gratis", "Sol Market"]
    assert load_config(config_file).brand("Sol").keywords.terms[-1] == "Sol Market"


def test_add_then_remove_restores_the_file_byte_for_byte(config_file: Path) -> None:
    original = config_file.read_bytes()
    add_keywords(config_file, "Sol", "phrases", ["agotado", "sin respuesta"])
    remove_keywords(config_file, "Sol", "phrases", ["AGOTADO", "sin respuesta"])
    assert config_file.read_bytes() == original


def test_new_list_and_new_override_table(config_file: Path) -> None:
    add_keyword(config_file, "Lua", "exclude", "lua cheia")
    config = add_keyword(config_file, "Sol", "exclude", "promo", source="twitter")
    text = config_file.read_text(encoding="utf-8")
    # the new table goes after the brand's keywords, below their comments, above "# Second brand"
    assert (
        'exclude = ["crema solar"]  # not us\n\n'
        '[brands.keywords.overrides.twitter]\nexclude = ["promo"]\n\n# Second brand\n[[brands]]'
    ) in text
    assert config.brand("Sol").keywords.overrides["twitter"].exclude == ["promo"]
    assert load_config(config_file).brand("Lua").keywords.exclude == ["lua cheia"]
    for line in COMMENTS:
        assert line in text


def test_values_are_stored_normalised(config_file: Path) -> None:
    add_keyword(config_file, "Sol", "hashtags", "#SolDeals")
    add_keyword(config_file, "Sol", "handles", "@TiendaSol")
    text = config_file.read_text(encoding="utf-8")
    assert 'hashtags = ["TiendaSol", "SolDeals"]' in text
    assert 'handles = ["TiendaSol"]' in text


def test_remove_matches_ignoring_case_and_accents(config_file: Path) -> None:
    config = remove_keyword(config_file, "Sol", "terms", "ENVIO GRATIS")
    assert config.brand("Sol").keywords.terms == ["tienda sol"]
    assert "# the full name" in config_file.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda p: add_keyword(p, "Sol", "terms", ""), "keywords.terms: expected a non-empty"),
        (lambda p: add_keyword(p, "Sol", "terms", "   "), "expected a non-empty"),
        (lambda p: add_keyword(p, "Sol", "phrases", '"sin stock'), "balanced double quotes"),
        (lambda p: add_keyword(p, "Sol", "terms", "ENVIO gratis"), "already there as 'envío"),
        (lambda p: add_keywords(p, "Sol", "terms", ["nuevo", "nuevo"]), "already there"),
        (lambda p: add_keywords(p, "Sol", "terms", ["bueno", ""]), "non-empty"),
        (lambda p: add_keyword(p, "Sol", "terms", "de la"), "distinctive keyword"),
        (lambda p: add_keyword(p, "Luna", "terms", "luna"), "no brand named 'Luna'"),
        (lambda p: add_keyword(p, "Sol", "words", "x"), "unknown keyword kind 'words'"),
        (lambda p: add_keyword(p, "Sol", "terms", "x", source="tiktok"), "unknown source"),
        (lambda p: add_keyword(p, "Sol", "languages", "fr"), "unknown keyword kind"),
        (lambda p: remove_keyword(p, "Sol", "terms", "nada"), "'nada' is not there"),
        (lambda p: remove_keyword(p, "Sol", "handles", "x"), "is empty, nothing to remove"),
        (lambda p: remove_keyword(p, "Lua", "terms", "loja lua"), "last term, phrase"),
        (lambda p: remove_keyword(p, "Sol", "exclude", "x", source="reddit"), "is empty"),
    ],
)
def test_invalid_edits_leave_the_file_unchanged(
    config_file: Path, edit: Callable[[Path], object], message: str
) -> None:
    original = config_file.read_bytes()
    with pytest.raises(ConfigError) as info:
        edit(config_file)
    assert message in str(info.value)
    assert str(info.value).startswith(f"{config_file}: ")
    assert config_file.read_bytes() == original
    assert sorted(os.listdir(config_file.parent)) == ["config.toml"]  # no temp file left


def test_removing_the_last_positive_keyword_with_exclusions_left_is_refused(
    config_file: Path,
) -> None:
    remove_keywords(config_file, "Sol", "terms", ["tienda sol", "envío gratis"])
    remove_keyword(config_file, "Sol", "phrases", "sin stock")
    original = config_file.read_bytes()
    with pytest.raises(ConfigError, match="exclusions alone watch nothing"):
        remove_keyword(config_file, "Sol", "hashtags", "TiendaSol")
    assert config_file.read_bytes() == original


def test_an_already_broken_file_is_not_edited(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[[brands]]\nname = "Sol"\n[brands.keywords]\nterms = [""]\n')
    original = path.read_bytes()
    with pytest.raises(ConfigError, match=r"keywords\.terms\[0\]: expected a non-empty"):
        add_keyword(path, "Sol", "terms", "sol market")
    assert path.read_bytes() == original


def test_concurrent_change_is_detected_not_overwritten(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import monitor.keywords.editing as edit

    real_parse = edit.parse_config

    def parse_then_someone_edits(*args: object, **kwargs: object) -> object:
        config = real_parse(*args, **kwargs)  # type: ignore[arg-type]
        config_file.write_text(COMMENTED_CONFIG + "\n# edited by hand\n", encoding="utf-8")
        return config

    monkeypatch.setattr(edit, "parse_config", parse_then_someone_edits)
    with pytest.raises(KeywordEditError, match="changed while it was being edited"):
        add_keyword(config_file, "Sol", "terms", "sol market")
    assert config_file.read_text(encoding="utf-8").endswith("# edited by hand\n")


def test_file_mode_is_kept(config_file: Path) -> None:
    config_file.chmod(0o640)
    add_keyword(config_file, "Sol", "terms", "sol market")
    assert config_file.stat().st_mode & 0o777 == 0o640


def test_inline_keyword_tables_are_edited_in_place(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[[brands]]\nname = "Sol"  # inline\nkeywords = { terms = ["sol market"] }\n')
    add_keyword(path, "Sol", "exclude", "promo", source="reddit")
    text = path.read_text()
    assert "# inline" in text
    assert load_config(path).brand("Sol").keywords.overrides["reddit"].exclude == ["promo"]
