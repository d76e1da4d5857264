"""Slack delivery through the emulator: once per (brand, week), crash-safe, and the scheduler."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from digest_fixture import AS_OF, SOL, HandWorkedWeek, add_mention, make_config

from alerts.digest import delivery, run_due, send_digest
from alerts.digest import slack as digest_slack
from alerts.slack_client import make_web_client
from monitor.config import Config
from monitor.sandbox.http import Fault
from monitor.sandbox.slack_api import SlackEmulator
from monitor.storage.db import Database
from monitor.storage.digests import get_digest

KEY = "digest:Sol:2026-W47"
PNG = b"\x89PNG\r\n\x1a\n"


def detect(text: str, lang: str | None) -> str:
    return "payment" if "cobro" in text else "unknown"


@pytest.fixture
def client(slack_config: Config, slack_env: dict[str, str]) -> Any:
    return make_web_client(slack_config.slack, slack_env, retries=False)


def send(db: Database, config: Config, client: Any, **kw: Any) -> delivery.DigestResult:
    kw.setdefault("now", AS_OF)
    return send_digest(db, config, client, "Sol", "2026-W47", detect=detect, **kw)


def summaries(emulator: SlackEmulator) -> list[Any]:
    return [m for m in emulator.top_level("#marketing") if m.metadata]


class Crash(BaseException):
    """A kill -9 stand-in: not an Exception, so nothing in the code under test handles it."""


def crash_after(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    real = getattr(digest_slack, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        raise Crash

    monkeypatch.setattr(digest_slack, name, wrapper)


def test_summary_and_chart_posted_once(db: Database, slack_config: Config, client: Any,
                                       slack_emulator: SlackEmulator, week47: HandWorkedWeek,
                                       tmp_path: Path) -> None:
    result = send(db, slack_config, client)
    assert result.status == "sent" and not result.reconciled
    [summary] = summaries(slack_emulator)
    assert summary.metadata == {"event_type": "vigia_digest", "event_payload": {
        "key": KEY, "brand": "Sol", "week": "2026-W47"}}
    assert summary.blocks[0]["text"]["text"] == "Sol · Resumen semanal 2026-W47"
    fields = {f["text"].split("\n")[0]: f["text"] for f in summary.blocks[2]["fields"]}
    assert fields["*Menciones*"] == ("*Menciones*\n14 (vs. semana anterior: 10)\n"
                                     "media de 4 semanas: 4")  # 17 / 4 = 4.25
    assert "-8\n-48 pts vs. semana anterior" in fields["*Sentimiento neto*"]
    assert fields["*Respondidas*"] == "*Respondidas*\n4 de 6 (6 quejas)"
    assert "45 min · 3 h 20 min" in fields["*Mediana primera respuesta · P90*"]
    text = str(summary.blocks)
    assert "Retraso en el envío*: 3 (3 de 6)" in text
    assert "&lt;b&gt;mal&lt;/b&gt;" in text and "<b>" not in text  # mrkdwn escaped
    assert "<https://example.com/twitter/m9|ver>" in text
    # chart and HTML report in the summary's thread, through files_upload_v2
    [files_message] = slack_emulator.thread(summary)
    assert [f["name"] for f in files_message.files] == ["sol-2026-W47.png",
                                                        "sol-2026-W47.html"]
    chart = next(u for u in slack_emulator.uploads.values() if u["filename"].endswith(".png"))
    assert chart["content"].startswith(PNG) and len(chart["content"]) > 15_000
    assert chart["channel"] == summary.channel
    assert (tmp_path / "reports" / "sol-2026-W47.html").exists()
    assert (tmp_path / "reports" / "sol-2026-W47.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    with db.sessions() as s:
        state = get_digest(s, "Sol", "2026-W47")
    assert state is not None and state.state == "sent" and state.sent_at == AS_OF
    assert state.summary["figures"]["mentions"] == 14
    assert state.summary["slack"]["ts"] == summary.ts
    # never twice
    again = send(db, slack_config, client, now=AS_OF + timedelta(days=1))
    assert again.status == "already_sent"
    assert len(summaries(slack_emulator)) == 1 and len(slack_emulator.uploads) == 2


def test_force_sends_again_under_a_new_key(db: Database, slack_config: Config, client: Any,
                                           slack_emulator: SlackEmulator,
                                           week47: HandWorkedWeek) -> None:
    send(db, slack_config, client)
    result = send(db, slack_config, client, force=True, now=AS_OF + timedelta(hours=2))
    assert result.status == "sent"
    keys = [m.metadata["event_payload"]["key"] for m in summaries(slack_emulator)]
    assert keys == [KEY, KEY + "#2"]


def test_crash_after_posting_is_reconciled_not_reposted(
        db: Database, slack_config: Config, client: Any, slack_emulator: SlackEmulator,
        week47: HandWorkedWeek, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patch:
        crash_after(patch, "post_summary")
        with pytest.raises(Crash):
            send(db, slack_config, client)
    assert len(summaries(slack_emulator)) == 1
    # a second worker right away sees a live claim and keeps out
    assert send(db, slack_config, client).status == "in_progress"
    # after the claim went stale, the next run finds the post by its metadata key
    result = send(db, slack_config, client, now=AS_OF + timedelta(minutes=20))
    assert result.status == "sent" and result.reconciled
    [summary] = summaries(slack_emulator)
    assert result.ts == summary.ts
    assert len(slack_emulator.thread(summary)) == 1  # the chart, uploaded by the second run


def test_crash_after_upload_does_not_upload_twice(
        db: Database, slack_config: Config, client: Any, slack_emulator: SlackEmulator,
        week47: HandWorkedWeek, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patch:
        crash_after(patch, "upload_files")
        with pytest.raises(Crash):
            send(db, slack_config, client)
    result = send(db, slack_config, client, now=AS_OF + timedelta(minutes=20))
    assert result.status == "sent" and result.reconciled
    [summary] = summaries(slack_emulator)
    assert len(slack_emulator.thread(summary)) == 1
    assert len(slack_emulator.uploads) == 2


def test_crash_before_posting_posts_on_the_next_run(
        db: Database, slack_config: Config, client: Any, slack_emulator: SlackEmulator,
        week47: HandWorkedWeek, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise Crash

    with monkeypatch.context() as patch:
        patch.setattr(delivery, "write_reports", boom)
        with pytest.raises(Crash):
            send(db, slack_config, client)
    assert summaries(slack_emulator) == []
    result = send(db, slack_config, client, now=AS_OF + timedelta(minutes=20))
    assert result.status == "sent" and not result.reconciled
    assert len(summaries(slack_emulator)) == 1


def test_unverifiable_interrupted_post_is_not_repeated(
        db: Database, slack_config: Config, client: Any, slack_emulator: SlackEmulator,
        week47: HandWorkedWeek, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patch:
        crash_after(patch, "post_summary")
        with pytest.raises(Crash):
            send(db, slack_config, client)
    slack_emulator.inject(Fault(path="conversations.history", times=-1,
                                status=200, body={"ok": False, "error": "channel_not_found"}))
    result = send(db, slack_config, client, now=AS_OF + timedelta(minutes=20))
    assert result.status == "failed"
    assert result.error is not None and "marketing_channel should be a channel id" in result.error
    assert len(summaries(slack_emulator)) == 1
    # a person checked the channel and forces: posted again under a new key, as asked
    forced = send(db, slack_config, client, force=True, now=AS_OF + timedelta(minutes=21))
    assert forced.status == "sent"
    keys = [m.metadata["event_payload"]["key"] for m in summaries(slack_emulator)]
    assert keys == [KEY, KEY + "#2"]


def test_slack_error_releases_the_claim_with_backoff(db: Database, tmp_path: Path,
                                                     slack_env: dict[str, str],
                                                     week47: HandWorkedWeek) -> None:
    emulator = SlackEmulator(strict_channels=True)
    emulator.start()
    try:
        config = make_config(tmp_path, [SOL], api_base=emulator.base_url + "/api/")
        client = make_web_client(config.slack, slack_env, retries=False)
        first = send(db, config, client)
        assert first.status == "failed" and "channel_not_found" in (first.error or "")
        assert send(db, config, client, now=AS_OF + timedelta(minutes=4)).status == "retry_later"
        assert send(db, config, client, now=AS_OF + timedelta(minutes=5)).status == "failed"
        with db.sessions() as s:
            state = get_digest(s, "Sol", "2026-W47")
        assert state is not None and state.summary["failures"] == 2
        assert state.summary["retry_at"] == (AS_OF + timedelta(minutes=15)).isoformat()
        emulator.channels["marketing"] = "C0MARKETING"
        result = send(db, config, client, now=AS_OF + timedelta(minutes=15))
        assert result.status == "sent" and not result.reconciled
        assert len(emulator.top_level("C0MARKETING")) == 1
    finally:
        emulator.stop()


def test_empty_week_summary_without_chart(db: Database, slack_config: Config, client: Any,
                                          slack_emulator: SlackEmulator) -> None:
    result = send(db, slack_config, client)
    assert result.status == "sent"
    [summary] = summaries(slack_emulator)
    assert "Sin menciones de Sol esta semana." in str(summary.blocks)
    assert slack_emulator.uploads == {}


def test_run_due_sends_the_latest_due_week_once(db: Database, slack_config: Config,
                                                client: Any, slack_emulator: SlackEmulator,
                                                week47: HandWorkedWeek) -> None:
    with db.transaction() as s:  # W46 was sent last week
        from monitor.storage.digests import claim_digest, mark_sent

        claim_digest(s, "Sol", "2026-W46", token="t", now=AS_OF - timedelta(days=7))
        mark_sent(s, "Sol", "2026-W46", "t", now=AS_OF - timedelta(days=7), report_path=None,
                  summary={})
    assert run_due(db, slack_config, client, AS_OF - timedelta(minutes=1),
                   detect=detect) == []
    [result] = run_due(db, slack_config, client, AS_OF, detect=detect)
    assert (result.week, result.status) == ("2026-W47", "sent")
    assert run_due(db, slack_config, client, AS_OF + timedelta(hours=1), detect=detect) == []
    assert len(summaries(slack_emulator)) == 1


def test_late_start_sends_only_the_most_recent_missed_week(
        db: Database, slack_config: Config, client: Any, slack_emulator: SlackEmulator) -> None:
    # the machine was off from before W47's digest until Tuesday of W50
    with db.transaction() as s:  # it had been watching since before W47
        add_mention(s, created_at=AS_OF - timedelta(days=14), label="neutral")
    [result] = run_due(db, slack_config, client, AS_OF + timedelta(days=15), detect=detect)
    assert result.week == "2026-W49"
    weeks = [m.metadata["event_payload"]["week"] for m in summaries(slack_emulator)]
    assert weeks == ["2026-W49"]


def test_run_due_without_slack_writes_reports_and_skips_disabled(
        db: Database, tmp_path: Path, week47: HandWorkedWeek) -> None:
    config = make_config(tmp_path, [SOL, {"name": "Off", "digest": {"enabled": False}}])
    [result] = run_due(db, config, None, AS_OF, detect=detect)
    assert (result.brand, result.status) == ("Sol", "report_only")
    assert result.report_path == str(tmp_path / "reports" / "sol-2026-W47.html")
    assert run_due(db, config, None, AS_OF + timedelta(hours=1), detect=detect) == []


def test_without_marketing_channel_the_digest_is_a_report_file_only(
        db: Database, tmp_path: Path, client: Any, slack_emulator: SlackEmulator,
        week47: HandWorkedWeek) -> None:
    """config.toml: "marketing_channel ... (unset = report file only)": with a Slack token
    and no marketing channel, nothing is posted (least of all into the alerts channel)."""
    unset = {k: v for k, v in SOL.items() if k != "marketing_channel"}
    config = make_config(tmp_path, [unset], api_base=slack_emulator.base_url + "/api/")
    [result] = run_due(db, config, client, AS_OF, detect=detect)
    assert (result.brand, result.status) == ("Sol", "report_only")
    assert result.report_path == str(tmp_path / "reports" / "sol-2026-W47.html")
    assert Path(result.report_path).exists()
    assert slack_emulator.messages == []
    assert slack_emulator.requests_to(r"chat\.postMessage$|files\.") == []
    assert run_due(db, config, client, AS_OF + timedelta(hours=1), detect=detect) == []
