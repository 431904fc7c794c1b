"""One ticket's explanation as a self-contained HTML page.

The transcript shows each turn by speaker with every marker span highlighted
in the style of displaCy's span renderer: a tinted background, one coloured
underline per span, stacked on separate levels where spans overlap, and a
label tag where each span starts. The drivers panel gives each driver's
contribution in CES points as a diverging bar and links to its evidence.

The page has inline CSS only: no scripts, fonts or images from anywhere, so
it can be mailed or attached to a ticket. All text is escaped; ticket text is
never turned into links.
"""

from __future__ import annotations

from html import escape
from importlib import resources
from string import Template

from .redact import find_pii, redact_hit, redact_segment, redact_value
from .schema import EffortResult, MarkerHit, Ticket, Turn, marker_column

#: Okabe-Ito colours (readable with common colour-vision deficiencies), one per marker.
LABEL_COLOURS: dict[str, str] = {
    "TRANSFER": "#E69F00",
    "REPEAT_CONTACT": "#CC79A7",
    "REPEAT_INFO": "#0072B2",
    "CHANNEL_SWITCH": "#56B4E9",
    "UNRESOLVED": "#D55E00",
    "FRUSTRATION": "#C0392B",
    "WAIT": "#009E73",
}
OTHER_COLOUR = "#8C8C8C"

BAND_TEXT = {"high": "high effort", "medium": "medium effort", "low": "low effort"}


def template(name: str) -> str:
    return resources.files("effortnlp").joinpath("templates", name).read_text(encoding="utf-8")


def colour(label: str) -> str:
    return LABEL_COLOURS.get(label, OTHER_COLOUR)


def label_style(label: str) -> str:
    c = colour(label)
    return f"--c:{c};--bg:{c}2e"


def tag_text(label: str) -> str:
    return label.replace("_", " ")


def minus(x: float, fmt: str = "+.1f") -> str:
    """A signed number with a real minus sign."""
    return format(x, fmt).replace("-", "−")


def role(turn: Turn) -> str:
    if turn.speaker == "agent":
        return "bot" if turn.is_bot else "agent"
    return turn.speaker if turn.speaker in ("customer", "system") else "other"


def _placed(hit: MarkerHit, ticket: Ticket) -> bool:
    """True when the hit points at a real stretch of one turn's text."""
    if not 0 <= hit.turn < len(ticket.turns):
        return False
    return 0 <= hit.start < hit.end <= len(ticket.turns[hit.turn].text)


def _levels(spans: list[tuple[int, MarkerHit]]) -> dict[int, int]:
    """Underline level per hit index: overlapping spans go on different levels."""
    ends: list[int] = []  # end offset of the span last placed on each level
    out: dict[int, int] = {}
    for i, h in sorted(spans, key=lambda s: (s[1].start, -s[1].end)):
        for level, end in enumerate(ends):
            if end <= h.start:
                ends[level] = h.end
                out[i] = level
                break
        else:
            out[i] = len(ends)
            ends.append(h.end)
    return out


def _turn_html(
    index: int,
    turn: Turn,
    spans: list[tuple[int, MarkerHit]],
    driver_of: dict[int, str],
    redact: bool,
) -> str:
    text = turn.text or ""
    pii = find_pii(text) if redact else []
    levels = _levels(spans)
    cuts = sorted({0, len(text)} | {h.start for _, h in spans} | {h.end for _, h in spans})
    starts: dict[int, list[int]] = {}
    for i, h in sorted(spans, key=lambda s: levels[s[0]]):
        starts.setdefault(h.start, []).append(i)

    parts: list[str] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        for i in starts.get(a, ()):
            label = next(h.label for j, h in spans if j == i)
            rule = next(h.rule_id for j, h in spans if j == i)
            attrs = (
                f'id="hit-{i}" class="tag" data-label="{escape(label)}" '
                f'style="{label_style(label)}" title="{escape(rule)}"'
            )
            if i in driver_of:
                parts.append(f'<a {attrs} href="#driver-{escape(driver_of[i])}">{escape(tag_text(label))}</a>')
            else:
                parts.append(f"<span {attrs}>{escape(tag_text(label))}</span>")
        piece = redact_segment(text, a, b, pii) if redact else text[a:b]
        covering = sorted((levels[i], i, h) for i, h in spans if h.start <= a and b <= h.end)
        if not covering:
            parts.append(escape(piece))
            continue
        top = covering[0][2]
        bars = "".join(
            f'<i class="bar" data-hit="hit-{i}" data-level="{lvl}" style="--l:{lvl};--c:{colour(h.label)}"></i>'
            for lvl, i, h in covering
        )
        title = ", ".join(f"{h.label} ({h.rule_id})" for _, _, h in covering)
        hit_ids = " ".join(f"hit-{i}" for _, i, _ in covering)
        parts.append(
            f'<span class="seg" data-hits="{hit_ids}" style="{label_style(top.label)}" '
            f'title="{escape(title)}">{escape(piece)}{bars}</span>'
        )

    who = {"customer": "Customer", "agent": "Agent", "bot": "Bot", "system": "System"}.get(
        role(turn), escape(turn.speaker_raw or turn.speaker or "?")
    )
    meta = [f"turn {index}"]
    if turn.agent_name:
        name = redact_value(turn.agent_name) if redact else turn.agent_name
        who += f" · {escape(name)}"
    if turn.channel:
        meta.append(escape(turn.channel))
    if turn.timestamp:
        meta.append(escape(str(turn.timestamp)))
    n_levels = max(levels.values(), default=0) + 1
    return (
        f'<article class="turn turn-{role(turn)}" id="turn-{index}">'
        f"<header><b>{who}</b> · {' · '.join(meta)}</header>"
        f'<p class="text" style="--levels:{n_levels}">{"".join(parts)}</p></article>'
    )


def _quote(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def explain_html(result: EffortResult, ticket: Ticket, *, redact: bool = False) -> str:
    """The whole page for one ticket; ``redact`` masks personal data in every text shown."""
    hits: list[MarkerHit] = list(result.hits)
    for d in result.drivers:  # a driver's evidence is normally among the hits; make sure
        for h in d.hits:
            if h not in hits:
                hits.append(h)

    def index_of(h: MarkerHit) -> int:
        for i, other in enumerate(hits):
            if other is h:
                return i
        return hits.index(h)

    driver_of: dict[int, str] = {}
    for d in result.drivers:
        for h in d.hits:
            driver_of.setdefault(index_of(h), d.name)
    for i, h in enumerate(hits):  # a hit below the reporting threshold still links to its group
        if i not in driver_of and any(d.name == marker_column(h.label) for d in result.drivers):
            driver_of[i] = marker_column(h.label)

    def turn_text(h: MarkerHit) -> str | None:
        return ticket.turns[h.turn].text if 0 <= h.turn < len(ticket.turns) else None

    shown = [redact_hit(h, turn_text(h)) if redact else h for h in hits]

    per_turn: dict[int, list[tuple[int, MarkerHit]]] = {}
    unplaced: list[int] = []
    for i, h in enumerate(hits):
        if _placed(h, ticket):
            per_turn.setdefault(h.turn, []).append((i, h))
        else:
            unplaced.append(i)
    transcript = "\n".join(
        _turn_html(k, t, per_turn.get(k, []), driver_of, redact) for k, t in enumerate(ticket.turns)
    )
    if not ticket.turns:
        transcript = '<p class="muted">This ticket has no turns.</p>'

    other = ""
    if unplaced:
        items = []
        for i in unplaced:
            h = shown[i]
            where = f"turn {h.turn}" if 0 <= h.turn < len(ticket.turns) else escape(h.source)
            items.append(
                f'<li id="hit-{i}" data-label="{escape(h.label)}"><span class="tag" style="{label_style(h.label)}">'
                f"{escape(tag_text(h.label))}</span> {where}: {escape(h.text)} "
                f'<small>({escape(h.rule_id)})</small></li>'
            )
        other = (
            '<div class="other-evidence"><h3>Evidence outside the transcript text</h3><ul>'
            + "".join(items)
            + "</ul></div>"
        )

    drivers = _drivers_html(result, shown, index_of, ticket)
    labels_seen = sorted({h.label for h in hits})
    legend = "".join(
        f'<span><i class="key" style="--c:{colour(lb)}"></i>{escape(tag_text(lb))} '
        f"<small>×{sum(1 for h in hits if h.label == lb)}</small></span>"
        for lb in labels_seen
    )
    header = _header_html(result, legend)
    footer = (
        "Drivers: each group of evidence's share, in CES points, of the gap between this ticket "
        "and a short, clean exchange (negative = more effort). CES 1–7, 7 = effortless."
        + (" Personal data masked." if redact else "")
    )
    return Template(template("explain.html")).substitute(
        title=escape(f"Ticket {result.ticket_id} — CES {result.ces:.1f}"),
        base_css=template("base.css"),
        header=header,
        transcript=transcript,
        other=other,
        drivers=drivers,
        footer=footer,
    )


def _header_html(result: EffortResult, legend: str) -> str:
    needle = (min(max(result.ces, 1.0), 7.0) - 1) / 6 * 100
    baseline = ""
    if result.baseline_ces is not None:
        baseline = f"<div class='muted'>A short, clean exchange would score {result.baseline_ces:.1f}</div>"
    empty = "<div><b>This ticket has no text: scored as empty.</b></div>" if result.empty else ""
    ticks = "".join(f"<span>{k}</span>" for k in range(1, 8))
    return (
        f'<header class="card"><h1>Ticket {escape(result.ticket_id)}</h1>'
        f'<div class="summary"><div><div class="score">{result.ces:.1f} <small>/ 7 CES</small></div>'
        f'<div class="scale" title="CES 1 (high effort) to 7 (effortless)">'
        f'<span class="needle" style="left:{needle:.1f}%"></span><div class="ticks">{ticks}</div></div></div>'
        f'<div><span class="pill band-{escape(result.band)}">{escape(BAND_TEXT.get(result.band, result.band))}</span>'
        f"<div class='muted'>p(high effort) {result.p_high:.2f} · {result.n_turns} turns</div>{baseline}{empty}</div>"
        f"</div>{f'<div class=legend>{legend}</div>' if legend else ''}</header>"
    )


def _drivers_html(result: EffortResult, shown: list[MarkerHit], index_of, ticket: Ticket) -> str:
    if not result.drivers:
        return '<p class="muted">No driver moved the score.</p>'
    scale = max(abs(d.contribution) for d in result.drivers) or 1.0
    rows = []
    for d in result.drivers:
        sign = "neg" if d.contribution < 0 else "pos"
        width = abs(d.contribution) / scale * 100
        fill = f'<div class="fill {sign}" style="width:{width:.1f}%"></div>'
        bar = f'<div class="diverging"><div>{fill if sign == "neg" else ""}</div><div>{fill if sign == "pos" else ""}</div></div>'
        evidence = []
        for h in d.hits:
            i = index_of(h)
            s = shown[i]
            where = f"turn {s.turn}" if 0 <= s.turn < len(ticket.turns) else s.source
            extra = f" → {s.detail['target']}" if s.detail.get("target") else ""
            evidence.append(
                f'<li><a class="evidence" href="#hit-{i}" style="--c:{colour(s.label)}">'
                f"<small>{escape(where)}</small> “{escape(_quote(s.text))}”{escape(extra)}</a></li>"
            )
        rows.append(
            f'<div class="driver" id="driver-{escape(d.name)}"><div class="head">'
            f'<span class="name">{escape(d.name.replace("_", " "))}</span>'
            f'<span class="contrib {sign}">{minus(d.contribution)}</span></div>{bar}'
            f'<div class="desc">{escape(d.description)}</div>'
            f"{'<ul>' + ''.join(evidence) + '</ul>' if evidence else ''}</div>"
        )
    return "\n".join(rows)
