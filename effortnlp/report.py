"""The picture for a whole dump: aggregates of a scored file as one self-contained HTML page.

``summarise_scored`` streams the output of ``effortnlp score`` (CSV, JSONL or
Parquet) in chunks and keeps only small running aggregates, so a file of
millions of rows needs memory for one chunk, not for the file. It reads the
columns it needs: the score columns, plus low-cardinality text columns the
user joined in (channel, team, brand, agent...) and one timestamp column.

``render_report`` draws the plots with matplotlib (the ``report`` extra; the
object API with the Agg canvas, no pyplot state) and embeds them as base64
PNGs next to tables of the same numbers.
"""

from __future__ import annotations

import base64
import heapq
import io
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from string import Template

import numpy as np
import pandas as pd

from .html import BAND_TEXT, LABEL_COLOURS, minus, template
from .redact import redact_value
from .schema import BANDS, MARKERS, band_for, marker_column

#: Columns written by ``effortnlp score``; everything else was joined in by the user.
SCORE_COLUMNS: tuple[str, ...] = (
    "ticket_id", "ces", "band", "p_high", *(marker_column(m) for m in MARKERS), "drivers", "empty",
)
MARKER_COLUMNS: tuple[str, ...] = tuple(marker_column(m) for m in MARKERS)

CHUNK_ROWS = 200_000
SAMPLE_ROWS = 5_000
#: A text column with more distinct values than this is an id or free text, not a category.
MAX_CATEGORIES = 200
#: Categories shown per column; the rest are summed into "other".
SHOW_CATEGORIES = 12
_TIME_NAME = re.compile(r"(time|date|created|opened|closed|updated|_at$|_on$)", re.IGNORECASE)
_HIST_EDGES = np.arange(1.0, 7.0001, 0.25)
_BAND_COLOURS = {"high": "#c62828", "medium": "#d69e2e", "low": "#2e7d32"}


class ReportError(ValueError):
    """The scored file cannot be reported on (missing column, unknown format, no matplotlib)."""


@dataclass
class ScoredSummary:
    """Running aggregates of a scored file; everything the report shows."""

    source: str
    n: int = 0
    ces_sum: float = 0.0
    hist: np.ndarray = field(default_factory=lambda: np.zeros(len(_HIST_EDGES) - 1, dtype=np.int64))
    bands: dict[str, int] = field(default_factory=dict)
    empty: int = 0
    marker_tickets: dict[str, int] = field(default_factory=dict)
    marker_hits: dict[str, int] = field(default_factory=dict)
    #: driver name -> (tickets listing it, sum of its contributions)
    driver_stats: dict[str, tuple[int, float]] = field(default_factory=dict)
    #: column -> value -> [tickets, sum of CES, high-effort tickets]
    categories: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    dropped_categories: list[str] = field(default_factory=list)
    time_column: str | None = None
    #: day -> [tickets, sum of CES, high-effort tickets]
    days: dict[pd.Timestamp, list[float]] = field(default_factory=dict)
    top: pd.DataFrame = field(default_factory=pd.DataFrame)
    top_n: int = 20

    @property
    def mean_ces(self) -> float:
        return self.ces_sum / self.n if self.n else float("nan")


# -- reading ------------------------------------------------------------------


def _kind(path: Path) -> str:
    if path.is_dir():  # `score --engine dask` writes a directory of Parquet parts
        return "parquet"
    name = path.name.lower()
    for suffix in (".gz", ".bz2", ".xz", ".zst"):
        name = name.removesuffix(suffix)
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if name.endswith((".csv", ".tsv", ".txt")):
        return "tsv" if name.endswith(".tsv") else "csv"
    raise ReportError(f"{path}: unknown scored-file type (expected .csv, .jsonl or .parquet)")


def _sample(path: Path, kind: str) -> pd.DataFrame:
    if kind == "parquet":
        batch = next(_parquet_batches(path, SAMPLE_ROWS, None), None)
        return batch.to_pandas() if batch is not None else pd.DataFrame()
    if kind == "jsonl":
        return next(iter(pd.read_json(path, lines=True, chunksize=SAMPLE_ROWS, dtype=False)), pd.DataFrame())
    return pd.read_csv(path, nrows=SAMPLE_ROWS, sep="\t" if kind == "tsv" else ",", low_memory=False)


def _chunks(path: Path, kind: str, columns: list[str], chunksize: int) -> Iterator[pd.DataFrame]:
    if kind == "parquet":
        for batch in _parquet_batches(path, chunksize, columns):
            yield batch.to_pandas()
    elif kind == "jsonl":
        for chunk in pd.read_json(path, lines=True, chunksize=chunksize, dtype=False):
            yield chunk.reindex(columns=columns)
    else:
        dtypes = {c: "string" for c in columns if c not in ("ces", "p_high", *MARKER_COLUMNS)}
        yield from pd.read_csv(
            path, usecols=columns, chunksize=chunksize, sep="\t" if kind == "tsv" else ",",
            dtype=dtypes, keep_default_na=False, na_values=[""],
        )


def _parquet_batches(path: Path, batch_size: int, columns: list[str] | None):
    import pyarrow.dataset as ds

    dataset = ds.dataset(path, format="parquet")
    return (b for b in dataset.to_batches(columns=columns, batch_size=batch_size) if b.num_rows)


def _looks_like_time(name: str, values: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(values):
        return True
    if not _TIME_NAME.search(name) or not (
        pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)
    ):
        return False
    present = values.dropna().astype(str).head(500)
    return len(present) > 0 and _to_days(present).notna().mean() >= 0.8


def _to_days(values: pd.Series) -> pd.Series:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "could not infer format" is expected for mixed inputs
        ts = pd.to_datetime(values, errors="coerce", utc=True)
    return ts.dt.tz_convert(None).dt.floor("D")


def _is_category(values: pd.Series) -> bool:
    if not (
        pd.api.types.is_object_dtype(values)
        or pd.api.types.is_string_dtype(values)
        or isinstance(values.dtype, pd.CategoricalDtype)
    ):
        return False
    present = values.dropna().astype(str)
    if present.empty:
        return False
    distinct = present.nunique()
    if distinct > MAX_CATEGORIES or distinct < 2:
        return False
    # Free text and ids: long values, or nearly every row different.
    if present.str.len().mean() > 40:
        return False
    return distinct <= max(20, len(present) // 4)


# -- aggregating --------------------------------------------------------------


def summarise_scored(path: str | Path, *, top: int = 20, chunksize: int = CHUNK_ROWS) -> ScoredSummary:
    """Stream a scored file into the aggregates the report shows."""
    path = Path(path)
    if not path.exists():
        raise ReportError(f"no such file: {path}")
    kind = _kind(path)
    sample = _sample(path, kind)
    if "ces" not in sample.columns:
        raise ReportError(f"{path}: no 'ces' column — is this the output of `effortnlp score`?")
    extra = [c for c in sample.columns if c not in SCORE_COLUMNS]
    time_column = next((c for c in extra if _looks_like_time(c, sample[c])), None)
    cat_columns = [c for c in extra if c != time_column and _is_category(sample[c])]
    present = [c for c in SCORE_COLUMNS if c in sample.columns]
    columns = present + cat_columns + ([time_column] if time_column else [])

    s = ScoredSummary(source=str(path), time_column=time_column, top_n=top)
    s.categories = {c: defaultdict(lambda: [0, 0.0, 0]) for c in cat_columns}
    bands: dict[str, int] = defaultdict(int)
    drivers: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    markers_t: dict[str, int] = defaultdict(int)
    markers_h: dict[str, int] = defaultdict(int)
    days: dict[pd.Timestamp, list[float]] = defaultdict(lambda: [0, 0.0, 0])
    heap: list[tuple[float, int, dict]] = []  # max-heap on -ces keeps the `top` lowest scores
    top_columns = [c for c in ("ticket_id", "ces", "band", "p_high", "drivers") if c in present] + cat_columns
    seq = 0

    for chunk in _chunks(path, kind, columns, chunksize):
        ces = pd.to_numeric(chunk["ces"], errors="coerce")
        chunk = chunk.assign(ces=ces).loc[ces.notna()]
        if chunk.empty:
            continue
        ces = chunk["ces"].to_numpy(dtype=float)
        s.n += len(chunk)
        s.ces_sum += float(ces.sum())
        s.hist += np.histogram(np.clip(ces, 1, 7), bins=_HIST_EDGES)[0]
        band = chunk["band"].astype(str) if "band" in chunk else pd.Series([band_for(x) for x in ces], index=chunk.index)
        chunk = chunk.assign(band=band, _high=(band == "high").astype(int))
        for b, k in band.value_counts().items():
            bands[b] += int(k)
        if "empty" in chunk:
            s.empty += int(chunk["empty"].astype(str).str.lower().isin(("true", "1")).sum())
        for col in MARKER_COLUMNS:
            if col in chunk:
                counts = pd.to_numeric(chunk[col], errors="coerce").fillna(0)
                markers_t[col] += int((counts > 0).sum())
                markers_h[col] += int(counts.sum())
        if "drivers" in chunk:
            for text in chunk["drivers"].dropna():
                for d in _parse_drivers(text):
                    acc = drivers[d[0]]
                    acc[0] += 1
                    acc[1] += d[1]
        for col in cat_columns:
            agg = chunk.groupby(chunk[col].fillna("(missing)").astype(str), sort=False).agg(
                n=("ces", "size"), ces=("ces", "sum"), high=("_high", "sum")
            )
            table = s.categories[col]
            for value, row in agg.iterrows():
                acc = table[value]
                acc[0] += int(row["n"])
                acc[1] += float(row["ces"])
                acc[2] += int(row["high"])
        if time_column:
            day = _to_days(chunk[time_column].astype(str) if not pd.api.types.is_datetime64_any_dtype(chunk[time_column]) else chunk[time_column])
            agg = chunk.assign(_day=day).dropna(subset=["_day"]).groupby("_day").agg(
                n=("ces", "size"), ces=("ces", "sum"), high=("_high", "sum")
            )
            for d, row in agg.iterrows():
                acc = days[d]
                acc[0] += int(row["n"])
                acc[1] += float(row["ces"])
                acc[2] += int(row["high"])
        for rec in chunk.nsmallest(top, "ces")[top_columns].to_dict("records"):
            seq += 1
            item = (-float(rec["ces"]), -seq, rec)  # ties: the earlier row stays
            if len(heap) < top:
                heapq.heappush(heap, item)
            elif item > heap[0]:
                heapq.heapreplace(heap, item)

    # Columns that turned out to have too many values are dropped, and said so.
    for col in cat_columns:
        if len(s.categories[col]) > MAX_CATEGORIES:
            s.dropped_categories.append(col)
            del s.categories[col]
    s.categories = {c: dict(v) for c, v in s.categories.items()}
    s.bands = dict(bands)
    s.marker_tickets = {c: markers_t.get(c, 0) for c in MARKER_COLUMNS if c in present}
    s.marker_hits = {c: markers_h.get(c, 0) for c in MARKER_COLUMNS if c in present}
    s.driver_stats = {k: (int(v[0]), float(v[1])) for k, v in drivers.items()}
    s.days = dict(sorted(days.items()))
    s.top = pd.DataFrame([rec for _, _, rec in sorted(heap, reverse=True)], columns=top_columns)
    return s


def _parse_drivers(text) -> list[tuple[str, float]]:
    try:
        items = json.loads(text) if isinstance(text, str) else text
    except ValueError:
        return []
    out = []
    for d in items or ():
        if isinstance(d, dict) and "name" in d:
            try:
                out.append((str(d["name"]), float(d.get("contribution", 0.0))))
            except (TypeError, ValueError):
                continue
    return out


# -- rendering ----------------------------------------------------------------


def _pyplot_free_figure():
    """A matplotlib ``Figure`` factory (no pyplot, so no GUI backend or global state)."""
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError:
        raise ReportError("the report needs matplotlib: pip install 'effortnlp[report]'") from None

    matplotlib.rcParams.update(
        {"font.size": 10, "axes.spines.top": False, "axes.spines.right": False, "axes.titleweight": "bold"}
    )
    return Figure


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return f'<img alt="" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode("ascii")}">'


def _table(header: list[str], rows: list[list], numeric: set[int] = frozenset()) -> str:
    head = "".join(f'<th class="num">{escape(h)}</th>' if i in numeric else f"<th>{escape(h)}</th>" for i, h in enumerate(header))
    body = "".join(
        "<tr>" + "".join(
            f'<td class="num">{escape(str(v))}</td>' if i in numeric else f"<td>{escape(str(v))}</td>"
            for i, v in enumerate(r)
        ) + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _pct(k: float, n: float) -> str:
    return f"{100 * k / n:.1f}%" if n else "–"


def _section(sid: str, title: str, plot: str, table: str, note: str = "") -> str:
    note = f'<p class="muted">{note}</p>' if note else ""
    return (
        f'<section class="card" id="{escape(sid)}"><h2>{escape(title)}</h2>{note}'
        f'<div class="pair"><div class="plot">{plot}</div><div class="numbers">{table}</div></div></section>'
    )


def _distribution(s: ScoredSummary, Figure) -> str:
    fig = Figure(figsize=(7.2, 3.0))
    ax, bx = fig.subplots(1, 2, gridspec_kw={"width_ratios": [2.4, 1]})
    centres = (_HIST_EDGES[:-1] + _HIST_EDGES[1:]) / 2
    ax.bar(centres, s.hist, width=0.23, color=[_BAND_COLOURS[band_for(c)] for c in centres])
    ax.set_xlim(0.9, 7.1)
    ax.set_xticks(range(1, 8))
    ax.set_xlabel("CES (1 = high effort, 7 = effortless)")
    ax.set_ylabel("tickets")
    ax.set_title("CES distribution")
    if s.n:
        ax.axvline(s.mean_ces, color="#1f2328", lw=1, ls="--")
        ax.annotate(f"mean {s.mean_ces:.2f}", (s.mean_ces, ax.get_ylim()[1] * 0.92), xytext=(4, 0),
                    textcoords="offset points", fontsize=9)
    counts = [s.bands.get(b, 0) for b in BANDS]
    bx.barh(list(BANDS)[::-1], counts[::-1], color=[_BAND_COLOURS[b] for b in BANDS][::-1])
    for y, k in enumerate(counts[::-1]):
        bx.annotate(_pct(k, s.n), (k, y), xytext=(3, 0), textcoords="offset points", va="center", fontsize=9)
    bx.set_title("effort band")
    bx.set_xlim(0, max(counts + [1]) * 1.35)
    bx.set_xticks([])
    bx.spines["bottom"].set_visible(False)
    rows = [[BAND_TEXT.get(b, b), s.bands.get(b, 0), _pct(s.bands.get(b, 0), s.n)] for b in BANDS]
    rows.append(["all tickets", s.n, f"mean CES {s.mean_ces:.2f}"])
    return _section("distribution", "CES and effort bands", _png(fig), _table(["band", "tickets", "share"], rows, {1, 2}))


def _markers(s: ScoredSummary, Figure) -> str:
    names = [marker_column(m) for m in MARKERS if marker_column(m) in s.marker_tickets]
    prevalence = [s.marker_tickets[c] / s.n * 100 if s.n else 0 for c in names]
    avg = [s.driver_stats[c][1] / s.driver_stats[c][0] if c in s.driver_stats else 0.0 for c in names]
    fig = Figure(figsize=(7.2, 0.5 + 0.38 * max(len(names), 3)))
    ax, bx = fig.subplots(1, 2, sharey=True)
    colours = [LABEL_COLOURS.get(c.upper(), "#888") for c in names]
    y = np.arange(len(names))[::-1]
    ax.barh(y, prevalence, color=colours)
    ax.set_yticks(y, [c.replace("_", " ") for c in names])
    ax.set_title("tickets with the marker (%)")
    for yy, v in zip(y, prevalence, strict=True):
        ax.annotate(f"{v:.1f}%", (v, yy), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
    ax.set_xlim(0, max(prevalence + [1]) * 1.3)
    bx.barh(y, avg, color=colours)
    bx.axvline(0, color="#1f2328", lw=0.8)
    bx.set_title("avg contribution (CES points)")
    lo = min(avg + [0])
    bx.set_xlim(lo * 1.3 - 0.1, 0.1 + max(avg + [0]) * 1.3)
    others = sorted(set(s.driver_stats) - set(names))
    rows = []
    for c in names + others:
        if c in s.marker_tickets:
            counts = [s.marker_tickets[c], _pct(s.marker_tickets[c], s.n), s.marker_hits.get(c, 0)]
        else:  # a driver that is not a marker (conversation length, agents involved, tone)
            counts = ["–", "–", "–"]
        rows.append([c.replace("_", " "), *counts, *_driver_cells(s, c)])
    table = _table(["driver", "tickets", "share", "hits", "listed", "avg pts"], rows, {1, 2, 3, 4, 5})
    note = (
        "Average contribution: the mean CES points a driver moved a ticket's score, over the tickets "
        "where it was among the drivers listed in the scored file (the top few per ticket)."
    )
    return _section("markers", "Effort markers", _png(fig), table, note)


def _driver_cells(s: ScoredSummary, name: str) -> list:
    if name not in s.driver_stats:
        return [0, "–"]
    k, total = s.driver_stats[name]
    return [k, minus(total / k, "+.2f")]


def _slug(col: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", col.lower()).strip("-") or "column"


def _category(s: ScoredSummary, col: str, redact: bool, Figure) -> str:
    table = s.categories[col]
    ranked = sorted(table.items(), key=lambda kv: (-kv[1][0], kv[0]))
    shown, rest = ranked[:SHOW_CATEGORIES], ranked[SHOW_CATEGORIES:]
    label = (lambda v: redact_value(v)) if redact else (lambda v: v)
    items = [(label(v), a) for v, a in shown]
    if rest:
        merged = [sum(a[i] for _, a in rest) for i in range(3)]
        items.append((f"other ({len(rest)} values)", merged))
    names = [str(v)[:28] for v, _ in items]
    means = [a[1] / a[0] for _, a in items]
    high = [a[2] / a[0] * 100 for _, a in items]
    fig = Figure(figsize=(7.2, 0.6 + 0.34 * max(len(items), 3)))
    ax, bx = fig.subplots(1, 2, sharey=True)
    y = np.arange(len(items))[::-1]
    ax.barh(y, means, color=[_BAND_COLOURS[band_for(m)] for m in means])
    ax.set_yticks(y, names)
    ax.set_xlim(1, 7)
    ax.axvline(s.mean_ces, color="#1f2328", lw=1, ls="--")
    ax.set_title("mean CES (dashed: all tickets)")
    for yy, m in zip(y, means, strict=True):
        ax.annotate(f"{m:.2f}", (m, yy), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
    bx.barh(y, high, color="#c62828")
    bx.set_title("high effort (%)")
    bx.set_xlim(0, max(high + [1]) * 1.3)
    for yy, h in zip(y, high, strict=True):
        bx.annotate(f"{h:.0f}%", (h, yy), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
    rows = [[v, int(a[0]), f"{a[1] / a[0]:.2f}", _pct(a[2], a[0])] for v, a in items]
    return _section(
        f"by-{_slug(col)}", f"Effort by {col}", _png(fig),
        _table([col, "tickets", "mean CES", "high effort"], rows, {1, 2, 3}),
    )


def _over_time(s: ScoredSummary, Figure) -> str:
    daily = pd.DataFrame.from_dict(s.days, orient="index", columns=["n", "ces", "high"]).sort_index()
    span = (daily.index.max() - daily.index.min()).days
    freq, unit = ("D", "day") if span <= 62 else ("W-MON", "week") if span <= 730 else ("MS", "month")
    per = daily.resample(freq, label="left", closed="left").sum()
    per = per[per["n"] > 0]
    mean = per["ces"] / per["n"]
    high = per["high"] / per["n"] * 100
    fig = Figure(figsize=(7.2, 3.6))
    ax, bx = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [2.2, 1]})
    ax.plot(per.index, mean, color="#1f2328", marker="o", ms=3, lw=1.5, label="mean CES")
    ax.set_ylabel("mean CES")
    ax.set_ylim(max(1, mean.min() - 0.5), min(7, mean.max() + 0.5))
    ax2 = ax.twinx()
    ax2.plot(per.index, high, color="#c62828", lw=1.2, ls="--", label="high effort %")
    ax2.set_ylabel("high effort (%)", color="#c62828")
    ax2.spines["right"].set_visible(True)
    ax.set_title(f"effort per {unit} ({s.time_column})")
    width = {"D": 0.8, "W-MON": 5, "MS": 24}[freq]
    bx.bar(per.index, per["n"], width=width, color="#8aa4c8", align="edge")
    bx.set_ylabel("tickets")
    fig.autofmt_xdate()
    rows = [
        [d.strftime("%Y-%m-%d"), int(r["n"]), f"{r['ces'] / r['n']:.2f}", _pct(r["high"], r["n"])]
        for d, r in per.iterrows()
    ]
    if len(rows) > 60:
        rows = rows[-60:]
    table = f'<div class="scroll">{_table([unit + " from", "tickets", "mean CES", "high effort"], rows, {1, 2, 3})}</div>'
    return _section("over-time", "Effort over time", _png(fig), table)


def _top_tickets(s: ScoredSummary, redact: bool) -> str:
    extra = [c for c in s.top.columns if c not in ("ticket_id", "ces", "band", "p_high", "drivers")]
    rows = []
    for rec in s.top.to_dict("records"):
        drivers = ", ".join(f"{n.replace('_', ' ')} {minus(c)}" for n, c in _parse_drivers(rec.get("drivers"))[:3])
        values = [rec.get(c) for c in extra]
        values = ["" if v is None or v != v else (redact_value(str(v)) if redact else str(v)) for v in values]
        rows.append([rec.get("ticket_id", ""), f"{float(rec['ces']):.2f}", rec.get("band", ""), drivers or "–", *values])
    table = _table(["ticket", "CES", "band", "main drivers", *extra], rows, {1})
    return (
        f'<section class="card" id="top-tickets"><h2>Highest-effort tickets</h2>'
        f'<p class="muted">The {len(rows)} lowest-scoring tickets. '
        f"<code>effortnlp explain INPUT --ticket ID --format html</code> shows one in full.</p>{table}</section>"
    )


def render_report(s: ScoredSummary, *, redact: bool = False, title: str | None = None) -> str:
    """The report page for a summary (plots need matplotlib: the ``report`` extra)."""
    Figure = _pyplot_free_figure()
    if not s.n:
        raise ReportError(f"{s.source}: no scored rows")
    sections = [_distribution(s, Figure), _markers(s, Figure)]
    sections += [_category(s, col, redact, Figure) for col in s.categories]
    if s.days:
        sections.append(_over_time(s, Figure))
    sections.append(_top_tickets(s, redact))
    high = s.bands.get("high", 0)
    stats = (
        f'<div class="stats"><div><b>{s.n:,}</b><span>tickets</span></div>'
        f"<div><b>{s.mean_ces:.2f}</b><span>mean CES</span></div>"
        f"<div><b>{_pct(high, s.n)}</b><span>high effort</span></div>"
        f"<div><b>{_pct(s.bands.get('low', 0), s.n)}</b><span>low effort</span></div></div>"
    )
    notes = []
    if s.empty:
        notes.append(f"{s.empty:,} tickets had no text and were scored as empty.")
    if s.dropped_categories:
        notes.append("Not broken down (too many distinct values): " + ", ".join(s.dropped_categories) + ".")
    if not s.categories:
        notes.append("No category column (channel, team, brand, agent…) was found in the scored file; "
                     "join one in to see effort by it.")
    nav = " · ".join(
        f'<a href="#{sid}">{escape(name)}</a>'
        for sid, name in [("distribution", "distribution"), ("markers", "markers")]
        + [(f"by-{_slug(c)}", f"by {c}") for c in s.categories]
        + ([("over-time", "over time")] if s.days else [])
        + [("top-tickets", "top tickets")]
    )
    header = (
        f'<header class="card"><h1>{escape(title or "Customer effort report")}</h1>'
        f'<div class="muted">{escape(Path(s.source).name)}</div>{stats}'
        f'<nav>{nav}</nav>{"".join(f"<p class=muted>{escape(n)}</p>" for n in notes)}</header>'
    )
    return Template(template("report.html")).substitute(
        title=escape(title or "Customer effort report"),
        base_css=template("base.css"),
        header=header,
        sections="\n".join(sections),
        footer="CES 1–7, 7 = effortless; high effort = CES 1–3, low = 5–7. Made by effortnlp."
        + (" Personal data masked." if redact else ""),
    )


def build_report(path: str | Path, *, redact: bool = False, top: int = 20, title: str | None = None,
                 chunksize: int = CHUNK_ROWS) -> str:
    """Summarise a scored file and render the report page."""
    _pyplot_free_figure()  # fail before reading a big file when matplotlib is missing
    return render_report(summarise_scored(path, top=top, chunksize=chunksize), redact=redact, title=title)
