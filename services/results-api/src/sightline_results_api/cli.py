"""`sightline`: the operator CLI — API tokens and streams, on the same logic as the API.

    sightline token create --name NAME [--scope read|write] [--expires-in 30d | --expires-at ISO]
                                           prints the new token once
    sightline token list
    sightline token revoke NAME|ID
    sightline streams add --name NAME [--source test|file|webcam|rtmp] [--uri URI] [--loop]
    sightline streams list
    sightline reanalysis start --stream ID --from S --to S [--detector logo] [--config JSON]
                               [--follow]
    sightline reanalysis status|follow|cancel RUN
    sightline reanalysis diff RUN [--against live|RUN]
    sightline report --streams ID[,ID...] [--from S] [--to S] [--run RUN] [--window S]
                     [--format json|csv|pdf] [--table brands|exposures] [--output FILE]

Reads the same `SIGHTLINE_*` environment as the service (database, Kafka, topic prefix).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from sightline_common.errors import TransientError
from sightline_common.logging import configure_logging
from sightline_common.messages import Source, SourceKind
from sightline_results_api import reanalysis_cli, report_cli
from sightline_results_api.durations import duration, instant
from sightline_results_api.events import StatePublisher
from sightline_results_api.models import ApiToken, utcnow
from sightline_results_api.reanalysis import RunNotFoundError
from sightline_results_api.runtime import build_publisher, open_database
from sightline_results_api.settings import ResultsApiSettings
from sightline_results_api.streams import InvalidSourceError, StreamNotFoundError, StreamRegistry
from sightline_results_api.tokens import (
    TokenExpiryError,
    TokenNameTakenError,
    TokenNotFoundError,
    TokenScope,
    issue_token,
    list_tokens,
    revoke_token,
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sightline", description="Sightline operator CLI")
    groups = parser.add_subparsers(dest="group", required=True)

    token = groups.add_parser("token", help="API tokens").add_subparsers(dest="action")
    token.required = True
    create = token.add_parser("create", help="issue a token (printed once)")
    create.add_argument("--name", required=True)
    create.add_argument(
        "--scope",
        choices=[s.value for s in TokenScope],
        default=TokenScope.WRITE.value,
        help="read: GET only (dashboards, reports); write: everything (default)",
    )
    expiry = create.add_mutually_exclusive_group()
    expiry.add_argument(
        "--expires-in", type=duration, help="lifetime: seconds, or 90m, 12h, 30d (default: none)"
    )
    expiry.add_argument(
        "--expires-at", type=instant, help="ISO 8601 instant, e.g. 2027-01-31T00:00:00Z"
    )
    token.add_parser("list", help="list tokens")
    revoke = token.add_parser("revoke", help="revoke a token by name or id")
    revoke.add_argument("token")

    streams = groups.add_parser("streams", help="streams").add_subparsers(dest="action")
    streams.required = True
    add = streams.add_parser("add", help="register a stream (prints its key once)")
    add.add_argument("--name", required=True)
    add.add_argument("--source", choices=[k.value for k in SourceKind], default="rtmp")
    add.add_argument("--uri")
    add.add_argument("--loop", action="store_true")
    streams.add_parser("list", help="list streams")
    reanalysis_cli.add_parser(groups)
    report_cli.add_parser(groups)
    return parser


def _tokens(args: argparse.Namespace, session: Session, publisher: StatePublisher) -> None:
    if args.action == "create":
        expires_at = args.expires_at or (utcnow() + args.expires_in if args.expires_in else None)
        record, token = issue_token(
            session, publisher, args.name, scope=TokenScope(args.scope), expires_at=expires_at
        )
        until = f", expires {expires_at:%Y-%m-%d %H:%M:%S}Z" if expires_at else ""
        print(f"token {record.name} ({record.id}, {record.scope}{until}) created; shown only now:")
        print(token)
    elif args.action == "list":
        now = utcnow()
        for record in list_tokens(session):
            print(
                f"{record.id}  {record.name:<24} {record.scope:<5} "
                f"{record.created_at:%Y-%m-%d %H:%M}  {_token_state(record, now)}"
            )
    else:
        record = revoke_token(session, publisher, args.token)
        print(f"token {record.name} ({record.id}) revoked")


def _token_state(record: ApiToken, now: datetime) -> str:
    if record.revoked_at:
        return f"revoked {record.revoked_at:%Y-%m-%d %H:%M}"
    if record.expires_at and record.expires_at <= now:
        return f"expired {record.expires_at:%Y-%m-%d %H:%M}"
    return f"live until {record.expires_at:%Y-%m-%d %H:%M}" if record.expires_at else "live"


def _streams(
    args: argparse.Namespace,
    session: Session,
    publisher: StatePublisher,
    settings: ResultsApiSettings,
) -> None:
    registry = StreamRegistry(session, publisher, settings.source_policy())
    if args.action == "add":
        source = Source(kind=SourceKind(args.source), uri=args.uri, loop=args.loop)
        stream, key = registry.create(args.name, source, None)
        print(f"stream {stream.name} ({stream.id}) registered")
        print(f"rtmp url:   {settings.rtmp_url}")
        print(f"stream key: {key}   (shown only now)")
    else:
        streams = registry.list()
        statuses = registry.statuses([s.id for s in streams])
        for stream in streams:
            live = statuses[stream.id]
            why = f"  ({live.reason})" if live.reason else ""
            print(f"{stream.id}  {stream.name:<24} {stream.source_kind:<7} {live.status}{why}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one CLI command; returns the exit code (1 with a message on a known failure)."""
    args = _parser().parse_args(argv)
    settings = ResultsApiSettings()
    # stdout is the CLI's answer (scripts read the token from its last line); logs go to stderr.
    configure_logging("sightline-cli", "WARNING")
    settings.refuse_dev_credentials(settings.database_url)
    engine = open_database(settings)
    publisher = build_publisher(settings)
    try:
        with Session(engine) as session:
            if args.group == "token":
                _tokens(args, session, publisher)
            elif args.group == "reanalysis":
                return reanalysis_cli.handle(args, session, publisher)
            elif args.group == "report":
                return report_cli.handle(args, session, publisher, settings)
            else:
                _streams(args, session, publisher, settings)
    except (
        TokenNameTakenError,
        TokenNotFoundError,
        TokenExpiryError,
        InvalidSourceError,
        RunNotFoundError,
        StreamNotFoundError,
    ) as exc:
        print(f"sightline: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except TransientError as exc:
        print(f"sightline: a dependency is unavailable: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
