"""The chart's pixels, the HTML5 page (strictly parsed, then seen in headless Chromium), MD."""

from __future__ import annotations

import base64
import io
import shutil
import struct
import subprocess
from pathlib import Path

import html5lib
import numpy as np
import pytest
from digest_fixture import AS_OF, HandWorkedWeek
from matplotlib.image import imread

from alerts.digest import Digest, build_digest, render_chart, render_html, render_markdown
from alerts.digest.build import write_reports
from alerts.digest.chart import COLORS, HEIGHT_PX, WIDTH_PX
from monitor.config import Config
from monitor.storage.db import Database

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def detect(text: str, lang: str | None) -> str:
    return "payment" if "cobro" in text else "unknown"


@pytest.fixture
def digest(db: Database, config: Config, week47: HandWorkedWeek) -> Digest:
    return build_digest(db, config, "Sol", "2026-W47", as_of=AS_OF, detect=detect)


@pytest.fixture
def empty(db: Database, config: Config) -> Digest:
    return build_digest(db, config, "Sol", "2026-W47", as_of=AS_OF, detect=detect)


def rgb(hex_color: str) -> np.ndarray:
    return np.array([int(hex_color[i:i + 2], 16) for i in (1, 3, 5)])


def pixels(image: np.ndarray, hex_color: str, tolerance: int = 4) -> np.ndarray:
    """Boolean mask of the pixels of one colour (image as 0-255 RGB)."""
    return np.all(np.abs(image[..., :3].astype(int) - rgb(hex_color)) <= tolerance, axis=-1)


def decode_png(png: bytes) -> np.ndarray:
    return (imread(io.BytesIO(png), format="png")[..., :3] * 255).round().astype(int)


def test_chart_png_size_and_content(digest: Digest) -> None:
    png = render_chart(digest)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (WIDTH_PX, HEIGHT_PX)
    assert 15_000 < len(png) < 400_000
    image = decode_png(png)
    neg, pos, neu = (pixels(image, COLORS[k]).sum() for k in ("negative", "positive", "neutral"))
    # stacked bars: 6 negative, 5 positive, 2 neutral units of equal size
    assert neg / pos == pytest.approx(6 / 5, rel=0.12)
    assert neu / pos == pytest.approx(2 / 5, rel=0.15)
    assert pixels(image, COLORS["net"], tolerance=10).sum() > 500  # the net sentiment line
    # green bar columns in the plot area (the legend sits below it): Mon, Wed, Thu, Sat, Sun
    plot = image[: int(HEIGHT_PX * 0.8)]
    columns = np.where(pixels(plot, COLORS["positive"]).any(axis=0))[0]
    runs = np.split(columns, np.where(np.diff(columns) > 1)[0] + 1)
    bars = [run for run in runs if len(run) > 40]
    assert len(bars) == 5
    saturday, monday = bars[3], bars[0]  # Saturday is all positive; Monday has a negative
    assert not pixels(plot[:, saturday[0]:saturday[-1]], COLORS["negative"]).any()
    assert pixels(plot[:, monday[0]:monday[-1]], COLORS["negative"]).any()


def test_empty_week_chart_says_so(empty: Digest) -> None:
    png = render_chart(empty)
    image = decode_png(png)
    assert struct.unpack(">II", png[16:24]) == (WIDTH_PX, HEIGHT_PX)
    plot = image[: int(HEIGHT_PX * 0.8)]  # the legend swatches sit below
    for color in ("negative", "positive"):
        assert not pixels(plot, COLORS[color]).any()
    assert pixels(plot, COLORS["neutral"]).sum() < 100  # at most antialiased grey text
    assert (image[150:250, 300:650] < 200).any()  # the "no mentions" text


def parse_strict(html: str) -> object:
    return html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(html)


def test_html_is_valid_html5_and_self_contained(digest: Digest) -> None:
    png = render_chart(digest)
    html = render_html(digest, png, csv_name="sol-2026-W47.csv")
    tree = parse_strict(html)
    images = tree.findall(".//img")  # type: ignore[attr-defined]
    assert len(images) == 1
    src = images[0].get("src")
    assert src.startswith("data:image/png;base64,")
    assert base64.b64decode(src.split(",", 1)[1]) == png
    assert tree.find(".//meta[@name='viewport']") is not None  # type: ignore[attr-defined]
    day_rows = tree.findall(".//section[@id='days']//tbody/tr")  # type: ignore[attr-defined]
    assert len(day_rows) == 7
    assert [td.text for td in day_rows[0].findall("td")][:6] == ["lun 16", "2", "1", "0", "1", "0"]
    assert "<b>mal</b>" not in html and "&lt;b&gt;mal&lt;/b&gt;" in html  # user text escaped
    assert not tree.findall(".//body//b")  # type: ignore[attr-defined]
    assert "<link" not in html and "<script" not in html  # nothing external
    assert 'href="sol-2026-W47.csv"' in html
    assert "4 de 6" in html and "3 h 20 min" in html and "-48 pts" in html


def test_empty_week_html(empty: Digest) -> None:
    html = render_html(empty, render_chart(empty))
    tree = parse_strict(html)
    assert tree.find(".//section[@id='empty']") is not None  # type: ignore[attr-defined]
    assert "Sin menciones de Sol esta semana." in html
    assert tree.find(".//img") is None  # type: ignore[attr-defined]


def test_english_report_and_markdown(db: Database, tmp_path: Path,
                                     week47: HandWorkedWeek) -> None:
    from digest_fixture import make_config

    config = make_config(tmp_path, [{"name": "Sol", "timezone": "Europe/Madrid",
                                     "languages": ["en", "es"]}])
    digest = build_digest(db, config, "Sol", "2026-W47", as_of=AS_OF, detect=detect)
    parse_strict(render_html(digest))
    md = render_markdown(digest, chart_name="sol-2026-W47.png")
    assert md.startswith("# Sol · Weekly digest 2026-W47\n")
    assert "| Mon 16 | 2 | 1 | 0 | 1 | 0 |" in md
    assert "Answered: 4 of 6" in md
    assert "Shipping delay | 3 (3 of 6)" in md
    assert "Llegó roto \\| &lt;b&gt;mal&lt;/b&gt;" in md
    assert "![Mentions per day and net sentiment](sol-2026-W47.png)" in md


def screenshot(html_path: Path, out: Path, width: int, height: int, profile: Path) -> np.ndarray:
    assert CHROMIUM is not None
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--hide-scrollbars", f"--user-data-dir={profile}",
         f"--screenshot={out}", f"--window-size={width},{height}", html_path.as_uri()],
        check=True, capture_output=True, timeout=60,
    )
    return decode_png(out.read_bytes())


def bands(mask_rows: object) -> list[tuple[int, int]]:
    """(first, last) index of each run of True values."""
    rows = np.where(np.asarray(mask_rows))[0]
    if rows.size == 0:
        return []
    groups = np.split(rows, np.where(np.diff(rows) > 1)[0] + 1)
    return [(int(g[0]), int(g[-1])) for g in groups]


def solid_bars(mask: np.ndarray) -> list[tuple[int, int]]:
    """(left, width) of each solid horizontal bar at least 8 px tall and 12 px wide, top down
    (text in the same colour is made of short runs)."""
    found = []
    for start, end in bands(mask.any(axis=1)):
        if end - start + 1 < 8:
            continue
        row = mask[(start + end) // 2]
        for left, right in bands(row):
            if right - left + 1 >= 12:
                found.append((left, right - left + 1))
    return found


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (apt-get install chromium)")
def test_headless_chromium_shows_chart_and_table(db: Database, config: Config,
                                                 week47: HandWorkedWeek, tmp_path: Path) -> None:
    reports = write_reports(db, config, "Sol", "2026-W47", ("html", "csv"), as_of=AS_OF,
                            detect=detect)
    html = reports.paths["html"]
    desktop = screenshot(html, tmp_path / "desktop.png", 1024, 2400, tmp_path / "profile")
    red = pixels(desktop, COLORS["negative"], tolerance=8)
    # rows crossing the six negative bars are mostly red (red text is thin: far fewer pixels)
    chart_rows = bands(red.sum(axis=1) > 150)
    assert chart_rows, "the chart's negative bars are not on screen"
    chart_bottom = chart_rows[0][1]
    assert pixels(desktop, COLORS["positive"], tolerance=8)[:chart_bottom + 1].sum() > 2000
    # under the chart, the per-day table's "Net" column draws net sentiment either side of a
    # zero line: Tuesday and Friday (-50) red to the left, Saturday (+100) green to the right
    net_rows = np.where(pixels(desktop, COLORS["net"], tolerance=8).sum(axis=1) > 3)[0]
    below = slice(int(net_rows[-1]) + 1, None)  # past the chart's legend (its last line)
    red_bars = solid_bars(red[below])
    zero = red_bars[0][0] + red_bars[0][1]  # a red bar ends on the zero line
    downs = [b for b in red_bars if abs(b[0] + b[1] - zero) <= 2]
    ups = [b for b in solid_bars(pixels(desktop, COLORS["positive"], tolerance=8)[below])
           if abs(b[0] - zero) <= 2]  # (the chart legend's swatches start elsewhere)
    assert len(downs) == 2 and len(ups) == 1, (red_bars, ups)
    (down_tue, down_fri), (up_sat,) = downs, ups
    assert down_tue == down_fri  # same net, same bar
    assert up_sat[1] == pytest.approx(2 * down_tue[1], abs=2)  # +100 is twice as long as -50
    # a phone-sized window shows the chart too (scaled down, colours intact)
    phone = screenshot(html, tmp_path / "phone.png", 390, 1400, tmp_path / "profile")
    assert pixels(phone, COLORS["negative"], tolerance=8).sum() > 300
    assert pixels(phone, COLORS["positive"], tolerance=8).sum() > 300
