"""Human-readable renderings of an ``EffortResult`` (terminal text; JSON is ``to_dict``)."""

from __future__ import annotations

import textwrap

import click

from .schema import EffortResult, Ticket

WIDTH = 80

_BAND_COLOUR = {"high": "red", "medium": "yellow", "low": "green"}


def _quote(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"“{text}”"


def explain_text(result: EffortResult, ticket: Ticket | None = None, *, width: int = WIDTH) -> str:
    """The explanation as aligned text; ``click.style`` colours are stripped by
    ``click.echo`` when stdout is not a terminal."""
    band = click.style(f"{result.band} effort", fg=_BAND_COLOUR.get(result.band), bold=True)
    lines = [
        click.style(f"Ticket {result.ticket_id}", bold=True),
        f"CES {result.ces:.1f} / 7   {band}   p(high effort) {result.p_high:.2f}",
    ]
    if result.baseline_ces is not None:
        lines.append(f"A short, clean exchange would score {result.baseline_ces:.1f}.")
    if result.empty:
        lines.append(click.style("This ticket has no text: scored as empty.", fg="yellow"))
    lines.append("")
    if not result.drivers:
        lines.append("No driver moved the score.")
        return "\n".join(lines)
    lines.append(click.style("Drivers (CES points)", bold=True))
    indent = " " * 9
    for d in result.drivers:
        colour = "red" if d.contribution < 0 else "green"
        head = f"  {click.style(f'{d.contribution:+5.1f}', fg=colour)}  {d.name:<20} "
        desc = textwrap.shorten(d.description, width=width - 31, placeholder="…")
        lines.append(head + desc)
        for h in d.hits:
            speaker = h.speaker
            if ticket is not None and 0 <= h.turn < len(ticket.turns):
                name = ticket.turns[h.turn].agent_name
                speaker = f"{speaker} {name}" if name and speaker == "agent" else speaker
            where = f"[turn {h.turn}, {speaker}]"
            extra = ""
            if h.detail.get("target"):
                extra = f" → {h.detail['target']}"
            if "cited_turn" in h.detail:
                # the agent asks again for what the customer gave; the customer says again what they said
                said = "said before" if h.speaker == "customer" else "already given"
                extra += f" ({said} in turn {h.detail['cited_turn']})"
            body = f"{where} {_quote(h.text)}{extra}"
            lines.extend(
                textwrap.wrap(body, width=width, initial_indent=indent, subsequent_indent=indent + "  ")
            )
    return "\n".join(lines)


def _fmt(x) -> str:
    return "   n/a" if x is None or x != x else f"{x:6.3f}"


def metrics_table(reports: dict) -> str:
    """Side-by-side headline metrics: one row per predictor (model, prior, mean...)."""
    lines = [f"{'predictor':<12} {'n':>5} {'MAE':>6} {'rho':>6} {'QWK':>6} {'ECE':>6}"]
    for name, r in reports.items():
        if not isinstance(r, dict) or "mae" not in r:
            continue
        lines.append(
            f"{name:<12} {r['n']:>5} {_fmt(r['mae'])} {_fmt(r['spearman'])} {_fmt(r['qwk'])} "
            f"{_fmt(r['calibration']['ece'])}"
        )
    return "\n".join(lines)


def confusion_table(confusion: dict) -> str:
    bands = list(confusion)
    lines = ["true \\ predicted " + " ".join(f"{b:>7}" for b in bands)]
    for t in bands:
        lines.append(f"{t:<17}" + " ".join(f"{confusion[t][p]:>7}" for p in bands))
    return "\n".join(lines)


def reliability_table(calibration: dict) -> str:
    lines = [f"{'p_high bin':<10} {'n':>5} {'mean p':>7} {'observed':>9}"]
    for row in calibration["reliability"]:
        lines.append(f"{row['bin']:<10} {row['n']:>5} {row['mean_p']:>7.3f} {row['observed']:>9.3f}")
    return "\n".join(lines)


def marker_table(scores: dict) -> str:
    lines = [f"{'marker':<16} {'P':>6} {'R':>6} {'F1':>6} {'support':>8}"]
    for name, s in scores.items():
        lines.append(
            f"{name:<16} {s['precision']:6.2f} {s['recall']:6.2f} {s['f1']:6.2f} {s['support']:>8}"
        )
    return "\n".join(lines)


def evaluation_text(report: dict) -> str:
    """The whole evaluation report: metrics per predictor, then the model's details."""
    parts = [click.style("CES metrics", bold=True), metrics_table(report["predictors"])]
    model = report["predictors"].get("model")
    if model:
        parts += ["", click.style("Band confusion (model)", bold=True), confusion_table(model["band_confusion"])]
        parts += ["", click.style("Calibration of p_high (model)", bold=True), reliability_table(model["calibration"])]
    if report.get("markers"):
        parts += ["", click.style("Markers (ticket level)", bold=True), marker_table(report["markers"])]
    return "\n".join(parts)
