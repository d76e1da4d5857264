"""`vigia sentiment score/eval` through click's CliRunner, with the bundled model."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from monitor.cli.sentiment_commands import COMMANDS, sentiment_group


def test_groups_are_registered() -> None:
    assert {c.name for c in COMMANDS} == {"sentiment", "model"}
    assert {"score", "eval", "corrections"} <= set(sentiment_group.commands)


def test_score_round_trip(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # no config.toml here: bundled model
    rows = [
        {"id": 1, "text": "Pésimo servicio, mi pedido nunca llegó", "lang": "es-ES"},
        {"id": "b", "text": "Adorei, entrega super rápida", "extra": [1, 2]},
        {"id": 3, "text": "", "lang": "und"},
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n\n",
                   encoding="utf-8")
    result = CliRunner().invoke(
        sentiment_group, ["score", "--input", str(src), "--output", str(tmp_path / "out.jsonl")]
    )
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [o["id"] for o in out] == [1, "b", 3]
    assert out[1]["extra"] == [1, 2]
    assert out[0]["lang"] == "es" and out[1]["lang"] == "pt" and out[2]["lang"] is None
    assert out[0]["label"] == "negative" and out[1]["label"] == "positive"
    for o in out:
        assert abs(sum(o["probs"].values()) - 1) < 1e-3
        assert o["confidence"] == max(o["probs"].values())
        assert o["model"] == "vigia-bundled"
        assert abs(sum(o["categories"].values()) - 1) < 1e-3
        assert o["p_complaint"] == o["categories"]["complaint"]
        assert o["alert"] == (o["track"] is not None)
    assert (out[0]["category"], out[0]["alert"], out[0]["track"]) == ("complaint", True,
                                                                    "complaint")
    assert out[1]["category"] == "praise" and out[1]["alert"] is False


def test_score_follows_the_brands_escalation_settings(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        'config_version = 2\n[sentiment]\nmodel = "bundled-fast"\n\n'
        '[[brands]]\nname = "Strict"\n[brands.keywords]\nterms = ["acme"]\n'
        '[brands.escalation]\nthreshold = 0.999\nquestions = "off"\n\n'
        '[[brands]]\nname = "Eager"\n[brands.keywords]\nterms = ["acme"]\n'
        '[brands.escalation]\nthreshold = 0.0\n', encoding="utf-8")
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "¿Tienen la talla M en azul?", "lang": "es"}\n', encoding="utf-8")
    runner = CliRunner()
    decisions = {}
    for brand in ("Strict", "Eager"):
        out = tmp_path / f"{brand}.jsonl"
        result = runner.invoke(sentiment_group, ["score", "--input", str(src), "--output",
                                                 str(out), "--config", str(config),
                                                 "--brand", brand])
        assert result.exit_code == 0, result.output
        decisions[brand] = json.loads(out.read_text())
    assert decisions["Strict"]["alert"] is False and decisions["Strict"]["track"] is None
    assert decisions["Eager"]["track"] == "complaint"
    result = runner.invoke(sentiment_group, ["score", "--input", str(src), "--output",
                                             str(tmp_path / "x.jsonl"), "--config", str(config),
                                             "--brand", "Nope"])
    assert result.exit_code != 0 and "'Strict', 'Eager'" in result.output


def test_eval_complaint_report_on_a_jsonl_of_gold_classes(tmp_path: Path) -> None:
    rows = [
        {"text": "Me cobraron dos veces y nadie contesta", "lang": "es", "category": "complaint"},
        {"text": "My parcel is missing, help!", "lang": "en", "category": "complaint"},
        {"text": "Produto chegou quebrado", "lang": "pt", "complaint": True},
        {"text": "Gracias, llegó perfecto", "lang": "es", "category": "praise"},
        {"text": "Do you ship to Canada?", "lang": "en", "category": "question"},
        {"text": "Hoje o sol está lindo", "lang": "pt", "complaint": False},
    ]
    data = tmp_path / "gold.jsonl"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    result = CliRunner().invoke(sentiment_group, ["eval", "--data", str(data), "--model",
                                                  "bundled-fast", "--threshold", "0.5"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "threshold 0.5" in out and "recall" in out and "false-alert rate" in out
    assert "calibration of P(complaint)" in out and "expected calibration error" in out
    for lang in ("es", "en", "pt"):
        assert f"\n  {lang} " in out
    assert "4-class reply category" in out  # four lines had a gold category
    data.write_text('{"text": "x"}\n', encoding="utf-8")
    bad = CliRunner().invoke(sentiment_group, ["eval", "--data", str(data)])
    assert bad.exit_code != 0 and "gold.jsonl:1" in bad.output


def test_bad_line_reports_its_number(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1, "text": "ok"}\n{"id": 2, "txt": "typo"}\n', encoding="utf-8")
    result = CliRunner().invoke(
        sentiment_group, ["score", "--input", str(src), "--output", str(tmp_path / "o.jsonl"),
                          "--model", "bundled"]
    )
    assert result.exit_code != 0
    assert "in.jsonl:2" in result.output and "text" in result.output
    src.write_text('{"id": 1, "text": "ok"}\nnot json\n', encoding="utf-8")
    result = CliRunner().invoke(
        sentiment_group, ["score", "--input", str(src), "--output", str(tmp_path / "o.jsonl")]
    )
    assert "in.jsonl:2" in result.output and "JSON" in result.output


def test_eval_prints_per_language_and_mean(tmp_path: Path) -> None:
    for language, texts in {
        "spanish": ["Pésimo servicio", "Hoy es lunes", "Me encanta, gracias"],
        "english": ["Worst service ever", "It is Monday", "I love it, thanks"],
    }.items():
        (tmp_path / language).mkdir()
        (tmp_path / language / "val_text.txt").write_text("\n".join(texts), encoding="utf-8")
        (tmp_path / language / "val_labels.txt").write_text("0\n1\n2", encoding="utf-8")
    result = CliRunner().invoke(sentiment_group, ["eval", "--data", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "spanish" in result.output and "english" in result.output
    assert "mean" in result.output and "confusion" in result.output


def test_missing_explicit_config_is_an_error(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1, "text": "ok"}', encoding="utf-8")
    result = CliRunner().invoke(
        sentiment_group, ["score", "--input", str(src), "--output", str(tmp_path / "o.jsonl"),
                          "--config", str(tmp_path / "nope.toml")]
    )
    assert result.exit_code != 0 and "nope.toml" in result.output


def test_config_model_is_used_and_model_flag_overrides(tmp_path: Path, tiny_model: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[sentiment]\nmodel = "{tiny_model}"\n\n[[brands]]\nname = "Acme"\n'
        '[brands.keywords]\nterms = ["acme"]\n', encoding="utf-8")
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1, "text": "hola", "lang": "es"}', encoding="utf-8")
    runner = CliRunner()
    args = ["score", "--input", str(src), "--config", str(config)]
    result = runner.invoke(sentiment_group, [*args, "--output", str(tmp_path / "a.jsonl")])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "a.jsonl").read_text())["model"] == str(tiny_model)
    result = runner.invoke(sentiment_group, [*args, "--output", str(tmp_path / "b.jsonl"),
                                             "--model", "bundled"])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "b.jsonl").read_text())["model"] == "vigia-bundled"
