"""`sightline report ...`: the sponsor exposure report from a terminal, to a file or stdout.

Runs the same code as `GET /api/reports/exposure`, in this process, with a progress bar on
stderr that moves as each stream's exposures are read (a season of streams takes a while).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn
from sqlmodel import Session

from sightline_results_api.events import StatePublisher
from sightline_results_api.report.build import ReportRequest, compose, read_facts, rules_from
from sightline_results_api.report.csv_export import TABLES
from sightline_results_api.report.model import ExposureReportDocument
from sightline_results_api.settings import ResultsApiSettings
from sightline_results_api.streams import StreamRegistry


def add_parser(groups: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `report` command."""
    report = groups.add_parser("report", help="sponsor exposure report (JSON, CSV or PDF)")
    report.add_argument("--streams", required=True, help="stream ids, comma-separated")
    report.add_argument("--from", dest="start", type=float, default=0.0, help="stream seconds")
    report.add_argument("--to", dest="end", type=float, default=None, help="stream seconds")
    report.add_argument("--run", default="live", help="live (default) or a reanalysis run id")
    report.add_argument("--compare", default=None, metavar="RUN",
                        help="another run to compare with (e.g. live)")  # fmt: skip
    report.add_argument("--window", type=float, default=None, help="per-window sums, seconds")
    report.add_argument("--format", choices=["json", "csv", "pdf"], default="json")
    report.add_argument("--table", choices=sorted(TABLES), default="brands",
                        help="CSV rows")  # fmt: skip
    report.add_argument("--output", "-o", type=Path, default=None,
                        help="file to write (stdout when omitted; required for pdf)")  # fmt: skip


def _body(doc: ExposureReportDocument, fmt: str, table: str) -> bytes:
    if fmt == "pdf":
        # fpdf and matplotlib cost ~1.8 CPU-s to import: only a PDF pays it.
        from sightline_results_api.report.pdf import render_pdf  # noqa: PLC0415

        return render_pdf(doc)
    if fmt == "csv":
        return TABLES[table](doc).encode()
    return doc.model_dump_json(indent=2).encode() + b"\n"


def handle(
    args: argparse.Namespace,
    session: Session,
    publisher: StatePublisher,
    settings: ResultsApiSettings,
) -> int:
    """Build and write the report; returns the exit code (1 with a message for streams priced
    in different currencies or too many windows). Raises StreamNotFoundError."""
    if args.format == "pdf" and args.output is None:
        print("sightline: a PDF needs --output FILE", file=sys.stderr)
        return 1
    if args.end is not None and args.end < args.start:
        print("sightline: --to is before --from", file=sys.stderr)
        return 1
    if args.compare == args.run:
        print("sightline: --compare names the run reported on", file=sys.stderr)
        return 1
    ids = [s.strip() for s in args.streams.split(",") if s.strip()]
    request = ReportRequest(ids, args.start, args.end, args.run, args.window, args.compare)
    registry = StreamRegistry(session, publisher, settings.source_policy())
    rules = rules_from(settings)
    with Progress(
        TextColumn("reading exposures"), BarColumn(), TaskProgressColumn(),
        console=Console(stderr=True), transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("read", total=len(ids) * (1 if args.compare is None else 2))
        facts = read_facts(
            session, registry, request, rules,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )  # fmt: skip
    try:
        doc = compose(request, facts, rules)
    except ValueError as exc:  # mixed currencies, too many windows
        print(f"sightline: {exc}", file=sys.stderr)
        return 1
    body = _body(doc, args.format, args.table)
    if args.output is None:
        sys.stdout.buffer.write(body)
    else:
        args.output.write_bytes(body)
        counted = sum(b.exposures for b in doc.brands)
        print(f"report: {len(doc.brands)} brands, {counted} exposures -> {args.output}",
              file=sys.stderr)  # fmt: skip
    return 0
