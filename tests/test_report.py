"""The dump report: aggregates of a scored file, rendered as one self-contained HTML page."""

from __future__ import annotations

import base64
import json
import sys

import pandas as pd
import pytest
from test_html import Tree  # noqa: E402  (tests/ is on sys.path under pytest)

from effortnlp.report import ReportError, build_report, summarise_scored
from effortnlp.schema import MARKERS, band_for, marker_column

N = 240


def scored_frame(n: int = N) -> pd.DataFrame:
    rows = []
    for i in range(n):
        transfer = int(i % 4 == 0)
        wait = int(i % 3 == 0)
        ces = round(6.5 - 2.5 * transfer - 1.0 * wait - (i % 5) * 0.3, 3)
        drivers = []
        if transfer:
            drivers.append({"name": "transfer", "contribution": -2.5})
        if wait:
            drivers.append({"name": "wait", "contribution": -1.0})
        if i % 7 == 0:  # a driver that is not a marker
            drivers.append({"name": "agents_involved", "contribution": -0.4})
        row = {
            "ticket_id": f"T{i:04d}",
            "ces": ces,
            "band": band_for(ces),
            "p_high": 0.9 if ces < 3.5 else 0.1,
            **{marker_column(m): 0 for m in MARKERS},
            "drivers": json.dumps(drivers),
            "empty": False,
            "channel": ["email", "chat", "phone"][i % 3],
            "team": "Billing" if transfer else "Tier 1",
            "agent": "sam@acme.example" if i % 2 else "kim@acme.example",
            "subject": f"order problem number {i} with a long free-text subject line",
            "created_at": (pd.Timestamp("2024-01-01") + pd.Timedelta(hours=7 * i)).isoformat(),
        }
        row["transfer"], row["wait"] = transfer, wait
        rows.append(row)
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def scored_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "scored.csv"
    scored_frame().to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def page(scored_csv):
    return build_report(scored_csv, top=10)


def test_summary_counts_bands_markers_and_drivers(scored_csv):
    s = summarise_scored(scored_csv, chunksize=50)  # several chunks must add up
    df = scored_frame()
    assert s.n == N
    assert s.bands == df["band"].value_counts().to_dict()
    assert s.marker_tickets["transfer"] == (df["transfer"] > 0).sum()
    assert s.driver_stats["transfer"] == (N // 4, pytest.approx(-2.5 * (N // 4)))
    assert s.driver_stats["agents_involved"][0] == len(range(0, N, 7))
    assert set(s.categories) == {"channel", "team", "agent"}  # not subject (free text), not ids
    assert s.categories["team"]["Billing"][0] == N // 4
    assert s.time_column == "created_at"
    assert list(s.top["ticket_id"])[:1] == [df.sort_values("ces").iloc[0]["ticket_id"]]
    assert sum(v[0] for v in s.days.values()) == N


def test_report_has_every_section_with_plots_and_tables(page):
    tree = Tree(page)
    ids = tree.ids()
    for section in ("distribution", "markers", "by-channel", "by-team", "by-agent", "over-time", "top-tickets"):
        assert section in ids, section
    for section in ("distribution", "markers", "by-channel", "over-time"):
        assert "<img" in _section(page, section) and "<table" in _section(page, section), section
    assert "T0024" in tree.texts["top-tickets"]  # the lowest CES in scored_frame
    assert "agents involved" in tree.texts["markers"]  # drivers that are not markers are listed too
    assert "transfer" in tree.texts["top-tickets"]


def test_report_images_are_embedded_pngs(page):
    tree = Tree(page)
    images = [a["src"] for t, a in tree.elements if t == "img"]
    assert len(images) >= 6
    for src in images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    for _, attrs in tree.elements:
        for key in ("src", "href"):
            if key in attrs:
                assert attrs[key].startswith(("#", "data:")), attrs[key]


@pytest.mark.parametrize("suffix", ["jsonl", "parquet"])
def test_report_reads_jsonl_and_parquet(tmp_path, suffix):
    df = scored_frame(60)
    path = tmp_path / f"scored.{suffix}"
    if suffix == "jsonl":
        df.to_json(path, orient="records", lines=True)
    else:
        df.to_parquet(path)
    s = summarise_scored(path)
    assert s.n == 60 and set(s.categories) == {"channel", "team", "agent"}


def test_report_reads_a_directory_of_parquet_parts(tmp_path):
    """`effortnlp score --engine dask` writes its output as a directory of Parquet parts."""
    df = scored_frame(60)
    (tmp_path / "scored").mkdir()
    df.iloc[:25].to_parquet(tmp_path / "scored" / "part.0.parquet")
    df.iloc[25:].to_parquet(tmp_path / "scored" / "part.1.parquet")
    s = summarise_scored(tmp_path / "scored", chunksize=10)
    assert s.n == 60 and s.bands == df["band"].value_counts().to_dict()


def test_report_redacts_category_values(scored_csv):
    page = build_report(scored_csv, redact=True)
    assert "sam@acme.example" not in page
    assert "[EMAIL]" in page
    assert "T0024" in page  # ticket ids are kept so tickets can be looked up


def test_missing_required_column_is_a_one_line_error(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("ticket_id,score\nA,3\n")
    with pytest.raises(ReportError, match="ces"):
        summarise_scored(path)


def test_missing_matplotlib_says_what_to_install(scored_csv, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ReportError, match=r"effortnlp\[report\]"):
        build_report(scored_csv)


def test_untrusted_values_are_escaped(tmp_path):
    df = scored_frame(30)
    df["channel"] = ["<script>x</script>", "chat", "email"] * 10
    path = tmp_path / "s.csv"
    df.to_csv(path, index=False)
    page = build_report(path)
    assert "<script>" not in page
    assert not [t for t, _ in Tree(page).elements if t == "script"]


def _section(page: str, section_id: str) -> str:
    start = page.index(f'id="{section_id}"')
    end = page.find("<section", start)
    return page[start : end if end > 0 else len(page)]


def test_report_command_writes_the_page(scored_csv, tmp_path):
    from click.testing import CliRunner

    from effortnlp.cli import cli

    out = tmp_path / "report.html"
    result = CliRunner().invoke(cli, ["report", str(scored_csv), "-o", str(out), "--top", "5"])
    assert result.exit_code == 0, result.output
    assert "top-tickets" in Tree(out.read_text()).ids()


def test_report_command_one_line_error_for_a_file_that_is_not_scored(tmp_path):
    from click.testing import CliRunner

    from effortnlp.cli import cli

    path = tmp_path / "tickets.jsonl"
    path.write_text('{"ticket_id": "A", "turns": []}\n')
    result = CliRunner().invoke(cli, ["report", str(path), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 2
    assert "ces" in result.output and "Traceback" not in result.output
