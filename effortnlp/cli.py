"""``effortnlp`` command line: a thin click layer over ``EffortAnalyzer`` and the readers.

Input problems end in one line on stderr and exit code 2, never a traceback;
the details of an unexpected error go to a log file (or to the terminal with
``--debug``).
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
import traceback
from pathlib import Path

import click

from . import __version__

EXIT_INPUT = 2
log = logging.getLogger("effortnlp")


class UserError(click.ClickException):
    """A one-line error for the user; exit code 2."""

    exit_code = EXIT_INPUT

    def show(self, file=None) -> None:
        click.echo(f"effortnlp: error: {self.format_message()}", err=True)


def _known_errors() -> tuple[type[BaseException], ...]:
    from .io import InputError
    from .markers import PatternError
    from .model import ModelError

    return (InputError, ModelError, PatternError, FileNotFoundError, IsADirectoryError, PermissionError)


class EffortGroup(click.Group):
    """Turns known input errors into one line + exit 2, and logs unexpected ones."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except _known_errors() as exc:
            raise UserError(_one_line(exc)) from None
        except Exception as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            log_path = Path(tempfile.gettempdir()) / "effortnlp-error.log"
            with open(log_path, "a", encoding="utf-8") as f:
                f.write(traceback.format_exc() + "\n")
            raise UserError(
                f"{type(exc).__name__}: {_one_line(exc)} (details in {log_path}; --debug shows them)"
            ) from None


def _one_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, OSError) and exc.filename:
        text = f"{exc.strerror or 'cannot open'}: {exc.filename}"
    return " ".join(text.split())


@click.group(cls=EffortGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="effortnlp")
@click.option("--debug", is_flag=True, help="Show full tracebacks instead of one-line errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Customer Effort Score (CES 1-7, 7 = effortless) from support tickets,
    every score explained with quoted evidence."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, format="%(message)s")


# -- shared options -----------------------------------------------------------


def input_options(f=None, *, format_flags: tuple[str, ...] = ("--format", "--input-format")):
    """INPUT plus the options that say how to read it (shared by every reading command).

    ``explain`` uses ``--format`` for its output, so it takes the input format
    as ``--input-format`` only: ``@input_options(format_flags=("--input-format",))``.
    """

    def decorate(f):
        options = [
            click.argument("input_path", metavar="INPUT", type=click.Path(allow_dash=True)),
            click.option(
                *format_flags,
                "input_format",
                default=None,
                help="Input format (default: detected): jsonl, turns, tickets, or a help-desk export.",
            ),
            click.option("--id-col", default=None, help="Ticket id column (default ticket_id)."),
            click.option("--speaker-col", default=None, help="Speaker column, one-row-per-turn input."),
            click.option("--text-col", default=None, help="Text column, one-row-per-turn input."),
            click.option(
                "--transcript-col", default=None, help="Transcript column, one-row-per-ticket input."
            ),
            click.option(
                "--repeat-window",
                default="7d",
                show_default=True,
                help="Link tickets of the same requester opened within this time as repeat "
                "contacts (e.g. 48h, 7d, 2w; 0 or none: off).",
            ),
        ]
        for option in reversed(options):
            f = option(f)
        return f

    return decorate(f) if f is not None else decorate


def model_options(f):
    f = click.option(
        "--prior",
        is_flag=True,
        help="Use the rules-only prior (fixed research weights) instead of a trained model.",
    )(f)
    f = click.option(
        "--model",
        "model_path",
        type=click.Path(file_okay=False),
        default=None,
        help="Model directory (default: the bundled models/default, or $EFFORTNLP_MODEL).",
    )(f)
    return f


def redact_option(f):
    return click.option(
        "--redact",
        is_flag=True,
        help="Mask e-mail addresses, phone, card and account numbers and long digit runs in the "
        "output (markers are still found on the original text).",
    )(f)


def column_options(kwargs: dict) -> dict:
    names = {"id_col", "speaker_col", "text_col", "transcript_col", "repeat_window"}
    return {k: kwargs.pop(k) for k in list(kwargs) if k in names and kwargs[k] is not None}


def make_analyzer(model_path: str | None, prior: bool):
    from .analyzer import EffortAnalyzer

    if prior:
        return EffortAnalyzer.prior()
    return EffortAnalyzer.load(model_path)


def progress(total: int | None, quiet: bool, desc: str):
    """A tqdm bar on stderr, shown only when stderr is a terminal and not ``--quiet``."""
    from tqdm import tqdm

    disable = quiet or not sys.stderr.isatty()
    return tqdm(total=total, unit=" tickets", desc=desc, disable=disable, file=sys.stderr)


# -- commands -----------------------------------------------------------------


@cli.command()
@input_options
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(allow_dash=True),
    help="Scored file: .csv, .jsonl or .parquet (a directory of Parquet parts with --engine dask); - for CSV on stdout.",
)
@click.option(
    "--errors",
    "errors_path",
    default=None,
    type=click.Path(dir_okay=False),
    help="Where bad input rows are recorded (default: OUTPUT with .errors.jsonl).",
)
@model_options
@click.option("--top", default=3, show_default=True, help="Drivers listed per ticket.")
@click.option(
    "-n",
    "--n-process",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: all cores).",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Continue an interrupted run into the same OUTPUT (refused if the input changed).",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="local: this machine's cores. dask: partitions on a Dask cluster (pip install effortnlp[dask]).",
)
@click.option(
    "--scheduler",
    default=None,
    help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default: a LocalCluster).",
)
@click.option("--chunk-size", default=500, hidden=True, type=click.IntRange(min=1))
@redact_option
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary.")
def score(input_path, output, errors_path, model_path, prior, top, n_process, resume, engine,
          scheduler, chunk_size, redact, quiet, input_format, **kwargs):
    """Score every ticket in INPUT into one row per ticket.

    Columns: ticket_id, ces, band, p_high, one count per marker, drivers
    (JSON list of the top drivers, each with its contribution in CES points
    and the first quote of its evidence with the turn number), empty. Bad input rows are written to the
    errors file with their line number; nothing is dropped silently. Output is
    written atomically; an interrupted run continues with --resume.
    """
    from .batch import ResumeError, ScoreSpec, score_file

    cols = column_options(kwargs)
    if errors_path is None and output != "-":
        errors_path = _errors_path_for(output)
    spec = ScoreSpec(
        model_path=model_path, prior=prior, top=top, input_format=input_format,
        columns=tuple(sorted(cols.items())), chunk_size=chunk_size, redact=redact,
    )
    try:
        if engine == "dask":
            if resume:
                raise UserError("--resume works with --engine local only")
            from .dask_engine import score_dask

            stats = score_dask(input_path, output, errors_path=errors_path, spec=spec,
                               scheduler=scheduler, quiet=quiet)
        else:
            if scheduler:
                raise UserError("--scheduler needs --engine dask")
            stats = score_file(input_path, output, errors_path=errors_path, spec=spec,
                               n_process=n_process, resume=resume, quiet=quiet)
    except ResumeError as exc:
        raise UserError(_one_line(exc)) from None
    if not quiet:
        where = f" (see {errors_path})" if stats.errors and errors_path else ""
        if stats.errors and not errors_path:
            where = " (give --errors PATH to keep them)"
        click.echo(f"scored {stats.tickets} tickets, {stats.errors} input rows with errors{where}", err=True)


def _errors_path_for(output: str) -> str:
    p = Path(output)
    stem = p.name.split(".")[0] or p.name
    return str(p.with_name(stem + ".errors.jsonl"))


def _find_ticket(input_path, input_format, cols, ticket_id, worst, analyzer):
    from .io import read_tickets

    tickets = read_tickets(input_path, input_format, on_error=lambda e: None, **cols)
    if ticket_id is not None:
        for t in tickets:
            if t.ticket_id == str(ticket_id):
                return t
        raise UserError(f"ticket {ticket_id!r} not found in {input_path}")
    best = None
    for batch_start in _batches(tickets, 500):
        for t, r in zip(batch_start, analyzer.score_many(batch_start), strict=True):
            if best is None or r.ces < best[1]:
                best = (t, r.ces)
    if best is None:
        raise UserError(f"no tickets in {input_path}")
    return best[0]


def _batches(items, size):
    from .analyzer import batched

    return batched(items, size)


@cli.command()
@input_options(format_flags=("--input-format",))
@click.option("--ticket", "ticket_id", default=None, help="Id of the ticket to explain.")
@click.option("--worst", is_flag=True, help="Explain the highest-effort ticket in INPUT.")
@click.option(
    "--format",
    "-f",
    "out_format",
    type=click.Choice(["text", "json", "html"]),
    default="text",
    show_default=True,
    help="Output format: text (terminal), json, or html (one self-contained page).",
)
@click.option(
    "-o",
    "--output",
    default="-",
    type=click.Path(allow_dash=True, dir_okay=False),
    help="Write to this file instead of stdout.",
)
@redact_option
@model_options
def explain(input_path, ticket_id, worst, out_format, output, redact, model_path, prior, input_format,
            **kwargs):
    """Explain one ticket: its score, the drivers that moved it, and the quoted
    evidence with turn numbers. --format html writes a page with the transcript
    highlighted and each driver linked to its evidence."""
    from .html import explain_html
    from .redact import redact_result, redact_ticket
    from .render import explain_text

    if (ticket_id is None) == (not worst):
        raise UserError("give --ticket ID or --worst")
    cols = column_options(kwargs)
    analyzer = make_analyzer(model_path, prior)
    ticket = _find_ticket(input_path, input_format, cols, ticket_id, worst, analyzer)
    result = analyzer.explain(ticket)  # markers are always found on the original text
    if out_format == "html":
        text = explain_html(result, ticket, redact=redact)
    elif out_format == "json":
        shown = redact_result(result, ticket) if redact else result
        text = json.dumps(shown.to_dict(), indent=2, ensure_ascii=False)
    else:
        shown, shown_ticket = (redact_result(result, ticket), redact_ticket(ticket)) if redact else (result, ticket)
        text = explain_text(shown, shown_ticket)
    _write_text(text, output)


def _write_text(text: str, output: str) -> None:
    """To stdout through click (colour kept only on a terminal), or to a file without colour."""
    if output == "-":
        click.echo(text)
        return
    Path(output).write_text(click.unstyle(text) + "\n", encoding="utf-8")
    click.echo(f"wrote {output}", err=True)


@cli.command()
@input_options
@click.option(
    "-o", "--output", default="-", type=click.Path(allow_dash=True), help="JSONL file (default stdout)."
)
@redact_option
@model_options
def markers(input_path, output, redact, model_path, prior, input_format, **kwargs):
    """Print every marker hit in INPUT as JSONL (one hit a line, with its ticket_id)."""
    from .io import read_tickets
    from .redact import redact_hit

    cols = column_options(kwargs)
    analyzer = make_analyzer(model_path, prior)
    out = sys.stdout if output == "-" else open(output, "w", encoding="utf-8")
    try:
        for ticket in read_tickets(input_path, input_format, on_error=_warn_row, **cols):
            for hit in analyzer.markers(ticket):
                if redact:
                    turns = ticket.turns
                    hit = redact_hit(hit, turns[hit.turn].text if 0 <= hit.turn < len(turns) else None)
                out.write(json.dumps({"ticket_id": ticket.ticket_id} | hit.to_dict(), ensure_ascii=False) + "\n")
    finally:
        if out is not sys.stdout:
            out.close()


def _warn_row(error) -> None:
    click.echo(f"effortnlp: skipped {error.source}:{error.row}: {error.reason}", err=True)


@cli.command()
@click.argument("scored_path", metavar="SCORED", type=click.Path(exists=True))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="HTML file to write.")
@click.option("--top", default=20, show_default=True, help="Highest-effort tickets listed.")
@click.option("--title", default=None, help="Title of the report.")
@redact_option
def report(scored_path, output, top, title, redact):
    """A self-contained HTML report on SCORED (the output of `effortnlp score`):
    CES and band distribution, how common each marker is and what it costs,
    effort by each category column joined in (channel, team, agent...) and over
    time, and the highest-effort tickets. Needs matplotlib: the `report` extra."""
    from .report import ReportError, build_report

    try:
        page = build_report(scored_path, redact=redact, top=top, title=title)
    except ReportError as exc:
        raise UserError(_one_line(exc)) from None
    Path(output).write_text(page, encoding="utf-8")
    click.echo(f"wrote {output}", err=True)


def label_options(f):
    f = click.option("--label-kind", type=click.Choice(["ces", "effort"]), default=None,
                     help="ces (1-7, default) or effort (low/medium/high); detected from the column name.")(f)
    f = click.option("--label-id-col", default="ticket_id", show_default=True,
                     help="Ticket id column in the label file.")(f)
    f = click.option("--label-col", default=None,
                     help="Label column (in the label file, or in the ticket file when --labels is not given).")(f)
    f = click.option("--labels", "labels_path", type=click.Path(dir_okay=False), default=None,
                     help="Label file (CSV, JSONL, Parquet) joined to tickets by id.")(f)
    return f


def _labelled(input_path, input_format, cols, labels_path, label_col, label_id_col, label_kind):
    """Read tickets and labels, join them, and say what could not be joined."""
    from .io import read_tickets
    from .training import join, labels_from_records, read_labels

    errors = []
    tickets = list(read_tickets(input_path, input_format, on_error=errors.append, **cols))
    if labels_path:
        labels = read_labels(labels_path, id_col=label_id_col, label_col=label_col, label_kind=label_kind)
    else:
        if not label_col:
            raise UserError("give --labels FILE, or --label-col COLUMN for labels inside the ticket file")
        try:
            labels = labels_from_records(
                ({"ticket_id": t.ticket_id, **t.meta} for t in tickets),
                label_col=label_col, label_kind=label_kind, source=str(input_path),
            )
        except ValueError as exc:
            raise UserError(f"{input_path}: {exc}") from None
    joined = join(tickets, labels)
    # The join accounting is printed even with --quiet: nothing is dropped silently.
    extra = ""
    if labels.invalid:
        extra += f"; {len(labels.invalid)} labels unusable (missing or out of range)"
    if labels.duplicates:
        extra += f"; {labels.duplicates} duplicate labels ignored (first kept)"
    if errors:
        extra += f"; {len(errors)} input rows with errors"
    click.echo(joined.summary() + extra, err=True)
    if not joined.tickets:
        raise UserError("no ticket has a label: check the id columns (--id-col, --label-id-col)")
    return joined, labels


@cli.command()
@input_options
@label_options
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False),
              help="Model directory to write, e.g. models/acme.")
@click.option("--seed", default=0, show_default=True, help="Random seed (same seed, same model).")
@click.option("--cv", default=5, show_default=True, help="Cross-validation folds for the reported metrics (0: none).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), default=None,
              help="Also write the cross-validated report as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def train(input_path, labels_path, label_col, label_id_col, label_kind, output, seed, cv, json_path,
          quiet, input_format, **kwargs):
    """Train a model on labelled tickets (CES survey answers joined by ticket id)
    and report cross-validated metrics next to the rules-only prior and the mean."""
    from .model import save_model
    from .render import evaluation_text
    from .training import report_json
    from .training import train as train_model

    cols = column_options(kwargs)
    joined, labels = _labelled(input_path, input_format, cols, labels_path, label_col, label_id_col,
                               label_kind)
    if not quiet and not sys.stderr.isatty():
        click.echo(f"featurizing {len(joined.tickets)} tickets, then {cv}-fold cross-validation…", err=True)
    with progress(len(joined.tickets), quiet, "featurizing") as bar:
        model, report = train_model(joined.tickets, joined.labels, label_kind=labels.kind, seed=seed,
                                    cv=cv, on_progress=bar.update)
    model.manifest["training"]["source"] = str(input_path)
    model.manifest["training"]["tickets_without_label"] = len(joined.tickets_without_label)
    model.manifest["training"]["labels_without_ticket"] = len(joined.labels_without_ticket)
    save_model(model, output)
    if report:
        predictors = {"model": report["model"], "prior": report["prior"], "mean": report["mean"]}
        click.echo(f"{cv}-fold cross-validated on {len(joined.tickets)} tickets:")
        click.echo(evaluation_text({"predictors": predictors}))
        if json_path:
            Path(json_path).write_text(report_json({"predictors": predictors}) + "\n")
    click.echo(f"saved {output}", err=True)


@cli.command()
@input_options
@label_options
@model_options
@click.option("--cv", default=0, help="K-fold cross-validated figures: train and test in K folds on INPUT.")
@click.option("--seed", default=0, show_default=True, help="Seed for the folds.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), default=None,
              help="Also write the report as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def evaluate(input_path, labels_path, label_col, label_id_col, label_kind, model_path, prior, cv, seed,
             json_path, quiet, input_format, **kwargs):
    """How good is a model on labelled tickets: MAE, Spearman rho, quadratic
    weighted kappa, band confusion, calibration of p_high, per-marker P/R/F1
    (when the labels have marker columns), beside the prior and mean baselines."""
    import numpy as np

    from .markers import MarkerFinder
    from .metrics import ces_report
    from .model import PriorModel, label_values
    from .render import evaluation_text
    from .training import cross_validated_predictions, featurize_all, marker_scores, report_json

    cols = column_options(kwargs)
    joined, labels = _labelled(input_path, input_format, cols, labels_path, label_col, label_id_col,
                               label_kind)
    y = label_values(joined.labels, labels.kind)
    if cv:
        finder = MarkerFinder()
    else:
        analyzer = make_analyzer(model_path, prior)
        finder = analyzer.finder
    with progress(len(joined.tickets), quiet, "featurizing") as bar:
        feats, counts = featurize_all(finder, joined.tickets, bar.update)
    if cv:
        ces, p = cross_validated_predictions(feats, joined.labels, label_kind=labels.kind, k=cv, seed=seed)
    else:
        ces, p = analyzer.model.predict(feats)
    predictors = {
        "model": ces_report(y, ces, p),
        "prior": ces_report(y, *PriorModel().predict(feats)),
        "mean": ces_report(y, np.full(len(y), float(np.mean(y))), np.full(len(y), float(np.mean(y < 3.5)))),
    }
    report = {"predictors": predictors, "n": len(y), "cv": cv or None}
    truth = [labels.markers.get(t.ticket_id) for t in joined.tickets]
    if any(truth):
        pairs = [(c, t) for c, t in zip(counts, truth, strict=True) if t]
        report["markers"] = marker_scores([c for c, _ in pairs], [t for _, t in pairs])
    click.echo(evaluation_text(report))
    if json_path:
        Path(json_path).write_text(report_json(report) + "\n")


@cli.command()
@click.argument("path", required=False, type=click.Path(file_okay=False))
def info(path):
    """Show a model's manifest: kind, versions, training data, metrics, files.
    PATH defaults to the bundled model."""
    from .analyzer import bundled_model_path
    from .model import read_manifest, verify_files

    path = Path(path) if path else bundled_model_path()
    manifest = read_manifest(path)
    verify_files(path, manifest)
    click.echo(click.style(f"{path}", bold=True) + f"  ({manifest.get('kind')} model, files verified)")
    if manifest.get("description"):
        click.echo(f"  {manifest['description']}")
    versions = manifest.get("versions", {})
    click.echo("  saved with " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())))
    click.echo(f"  label kind: {manifest.get('label_kind')}; {len(manifest.get('feature_names', []))} features")
    training = manifest.get("training")
    if training:
        click.echo(f"  trained on {training.get('n')} tickets from {training.get('source', '?')} "
                   f"(fingerprint {str(training.get('fingerprint'))[:12]}, seed {training.get('seed')})")
    for split, table in (manifest.get("metrics") or {}).items():
        for name, m in table.items():
            rho = m.get("spearman")
            click.echo(f"  {split:<8} {name:<10} MAE {m['mae']:.3f}  rho {rho if rho is None else f'{rho:.3f}'}  n {m['n']}")
    click.echo(f"  {len(manifest['files'])} files, SHA-256 checked")


@cli.command("models")
@click.argument("directory", required=False, type=click.Path(file_okay=False), default=None)
def list_models(directory):
    """List the model directories under DIRECTORY (default: the bundled models/)."""
    from .analyzer import bundled_model_path
    from .model import ModelError, read_manifest

    root = Path(directory) if directory else bundled_model_path().parent
    found = False
    for d in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
        try:
            m = read_manifest(d)
        except ModelError as exc:
            click.echo(f"{d.name:<12} unusable: {exc}")
            continue
        found = True
        n = (m.get("training") or {}).get("n", "-")
        click.echo(f"{d.name:<12} {m.get('kind'):<8} trained on {n} tickets  {m.get('description', '')}")
    if not found:
        raise UserError(f"no models in {root}")


def main() -> None:
    cli(prog_name="effortnlp")

