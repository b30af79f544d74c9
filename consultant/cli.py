"""Command line: parse arguments, dispatch to a handler, map errors to exit codes.

Exit codes: 0 ok, 2 usage or configuration, 3 runtime failure.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from consultant import __version__, logs
from consultant.errors import ConfigError, ConsultantError, UsageError

EXIT_OK, EXIT_USAGE, EXIT_RUNTIME = 0, 2, 3

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="consultant",
        description="Self-hosted email coding consultant (CPT, HCPCS, ICD-10-CM, NCCI).",
    )
    parser.add_argument("--version", action="version", version=f"consultant {__version__}")
    parser.add_argument(
        "-c", "--config", metavar="FILE",
        help="TOML configuration (default: $CONSULTANT_CONFIG, else ./config.toml if present, "
        "else built-in defaults for commands that need no mail server)",
    )
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    parser.add_argument("--log-format", default="text", choices=["text", "json"])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("run", help="the daemon: watch the inbox (IDLE or poll) and answer cases")
    p.set_defaults(handler="consultant.commands.daemon:run")

    p = sub.add_parser("once", help="one pass over the inbox, then exit (for cron)")
    p.set_defaults(handler="consultant.commands.daemon:once")

    p = sub.add_parser("check-config", help="validate the configuration and connect to both servers")
    p.set_defaults(handler="consultant.commands.daemon:check_config")

    p = sub.add_parser("status", help="last poll, answered, skipped, waiting, failed, queue age")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler="consultant.commands.daemon:status")

    p = sub.add_parser("purge", help="delete stored message data older than the retention period")
    p.add_argument("--older-than-days", type=int, help="override [state] retention_days")
    p.set_defaults(handler="consultant.commands.daemon:purge")

    state = sub.add_parser("state", help="the ledger: move it from SQLite into PostgreSQL")
    statesub = state.add_subparsers(dest="state_command", metavar="ACTION", required=True)
    p = statesub.add_parser("copy", help="copy every row of the SQLite ledger into the [state] url database")
    p.add_argument("--from", dest="source", metavar="FILE", help="the SQLite ledger (default: [state] path)")
    p.add_argument("--to", metavar="URL", help="postgresql://USER@HOST/DB (default: [state] url)")
    p.set_defaults(handler="consultant.commands.state:copy")

    p = sub.add_parser("demo", help="run against an embedded IMAP and SMTP server (no mail account)")
    p.add_argument("--once", action="store_true", help="answer the sample cases, print, and exit")
    p.add_argument("--imap-port", type=int, default=0, help="port for the embedded IMAP server (default: free port)")
    p.add_argument("--smtp-port", type=int, default=0, help="port for the embedded SMTP server (default: free port)")
    p.set_defaults(handler="consultant.demo:main")

    p = sub.add_parser("answer", help="print the reply for one .eml (or - for stdin); needs no server")
    p.add_argument("file", help="path of a raw RFC 5322 message, or - for standard input")
    p.add_argument("--json", action="store_true", help="print the whole analysis as JSON")
    p.add_argument("--today", help="pretend today is this date (YYYY-MM-DD)")
    p.set_defaults(handler="consultant.commands.answer:main")

    p = sub.add_parser("lookup", help="look codes up in the knowledge base")
    p.add_argument("codes", nargs="+", metavar="CODE")
    p.add_argument("--date", help="date of service (YYYY-MM-DD, default today)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler="consultant.commands.lookup:main")

    p = sub.add_parser("suggest", help="suggest codes for plain words")
    p.add_argument("text", nargs="?", help="the words (omit with --batch)")
    p.add_argument("--batch", metavar="FILE", help="one query per line ('-' for stdin); one JSON line each")
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--date", help="date of service (YYYY-MM-DD, default today)")
    p.add_argument("--setting", choices=["outpatient", "inpatient"], default="outpatient",
                   help="uncertain diagnoses: flagged (outpatient) or coded as established (inpatient)")
    p.set_defaults(handler="consultant.commands.suggest:main")

    kb = sub.add_parser("kb", help="build, update and describe the knowledge base")
    kbsub = kb.add_subparsers(dest="kb_command", metavar="KB_COMMAND", required=True)
    p = kbsub.add_parser("build", help="import the official files and the starter set into a new file")
    p.add_argument("--source", action="append", default=[], metavar="KIND=PATH",
                   help="an official file or archive to import, e.g. hcpcs=2019.zip (repeatable)")
    p.add_argument("--output", help="where to write (default: [kb] path); swapped in atomically")
    p.set_defaults(handler="consultant.commands.kb:build")
    p = kbsub.add_parser("update", help="download the configured releases, import, swap in atomically")
    p.add_argument("--from", dest="from_dir", metavar="DIR",
                   help="take the release files from DIR (copied by hand) instead of downloading them")
    p.set_defaults(handler="consultant.commands.kb:update")
    p = kbsub.add_parser("info", help="every data set with release, validity, rows and checksum")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler="consultant.commands.kb:info")
    return parser


def _resolve(target: str):  # type: ignore[no-untyped-def]
    module_name, _, func = target.partition(":")
    return getattr(importlib.import_module(module_name), func)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:   # argparse exits 2 on bad usage, 0 on --help
        return int(e.code or 0)
    logs.configure(args.log_level, args.log_format)
    try:
        return int(_resolve(args.handler)(args) or 0)
    except (ConfigError, UsageError) as e:
        print(f"consultant: {e}", file=sys.stderr)
        return EXIT_USAGE
    except ConsultantError as e:
        print(f"consultant: {e}", file=sys.stderr)
        return EXIT_RUNTIME
    except KeyboardInterrupt:
        return EXIT_OK
