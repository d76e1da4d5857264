"""`vigia sentiment score/eval` through click's CliRunner, with the bundled model."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from monitor.cli.sentiment_commands import COMMANDS, sentiment_group


def test_groups_are_registered() -> None:
    assert {c.name for c in COMMANDS} == {"sentiment", "model"}


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
