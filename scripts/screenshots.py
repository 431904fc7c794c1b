"""Render the two HTML outputs from the sample dump and screenshot them with headless Chromium.

    python scripts/screenshots.py [--input data/sample/tickets.jsonl] [-o docs]

Writes out/screenshots/{ticket,report}.html and docs/{explain,report}.png. The
scored file gets the dump's channel, company and created_at joined in, the way a
user would join their own columns, so the report has categories and a time axis.
Personal data is masked (--redact) in what the images show.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from effortnlp.analyzer import EffortAnalyzer, bundled_model_path  # noqa: E402
from effortnlp.html import explain_html  # noqa: E402
from effortnlp.io import read_tickets  # noqa: E402
from effortnlp.report import build_report  # noqa: E402

MAX_PNG_BYTES = 300_000
JOINED = ("channel", "company", "created_at")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars",
]


def analyzer() -> EffortAnalyzer:
    try:
        return EffortAnalyzer.load(bundled_model_path())
    except Exception as exc:  # no bundled model built yet: the prior explains just as well
        print(f"screenshots: using the rules-only prior ({exc})", file=sys.stderr)
        return EffortAnalyzer.prior()


def showcase(tickets, results):
    """A high-effort ticket that fits on one screen and shows several kinds of marker."""
    def fits(t, r):
        chars = sum(len(turn.text) for turn in t.turns)
        return 4 <= len(t.turns) <= 8 and chars < 1100 and len({h.label for h in r.hits}) >= 4

    pool = [(t, r) for t, r in zip(tickets, results, strict=True) if fits(t, r)] or list(zip(tickets, results, strict=True))
    return min(pool, key=lambda tr: (tr[1].ces, -len({h.label for h in tr[1].hits}), tr[0].ticket_id))


def screenshot(chromium: str, html: Path, png: Path, size: str) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--screenshot={png}",
             f"--window-size={size}", html.resolve().as_uri()],
            check=True, timeout=180, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
    if png.stat().st_size > MAX_PNG_BYTES:  # keep the README light: fewer colours, same look
        from PIL import Image

        Image.open(png).convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(png, optimize=True)
    print(f"wrote {png.relative_to(ROOT) if png.is_relative_to(ROOT) else png} ({png.stat().st_size // 1024} KB)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", default=str(ROOT / "data/sample/tickets.jsonl"))
    ap.add_argument("-o", "--output", default=str(ROOT / "docs"), help="Directory for the PNGs.")
    ap.add_argument("--html-dir", default=str(ROOT / "out/screenshots"))
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = ap.parse_args()

    html_dir, png_dir = Path(args.html_dir), Path(args.output)
    html_dir.mkdir(parents=True, exist_ok=True)
    png_dir.mkdir(parents=True, exist_ok=True)

    a = analyzer()
    tickets = list(read_tickets(args.input))
    results = list(a.score(tickets))
    scored = html_dir / "sample-scored.jsonl"
    with scored.open("w", encoding="utf-8") as f:
        for t, r in zip(tickets, results, strict=True):
            row = r.to_row() | {k: t.meta.get(k) for k in JOINED if t.meta.get(k) is not None}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")

    ticket, result = showcase(tickets, results)
    (html_dir / "ticket.html").write_text(explain_html(result, ticket, redact=True), encoding="utf-8")
    (html_dir / "report.html").write_text(
        build_report(scored, redact=True, top=15, title="Customer effort report — sample dump"), encoding="utf-8"
    )
    print(f"rendered ticket {ticket.ticket_id} (CES {result.ces:.1f}) and the report of {len(results)} tickets")

    screenshot(args.chromium, html_dir / "ticket.html", png_dir / "explain.png", "1200,1500")
    screenshot(args.chromium, html_dir / "report.html", png_dir / "report.png", "1200,1600")


if __name__ == "__main__":
    main()
