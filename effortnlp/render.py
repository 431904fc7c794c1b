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
                extra += f" (already given in turn {h.detail['cited_turn']})"
            body = f"{where} {_quote(h.text)}{extra}"
            lines.extend(
                textwrap.wrap(body, width=width, initial_indent=indent, subsequent_indent=indent + "  ")
            )
    return "\n".join(lines)
