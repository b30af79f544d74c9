"""`consultant run | once | check-config | status | purge`: the daemon's sub-commands.

Exit codes: 0 ok, 2 configuration (ConfigError, raised to the CLI), 3 runtime failure.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from consultant.analysis.index_walk.suggestions import index_notice_at
from consultant.config import Config, load_config
from consultant.errors import ConfigError, ConsultantError, DeliveryError, MailboxError
from consultant.kb.currency import kb_out_of_date, print_currency
from consultant.ledgers import open_ledger
from consultant.mail.inbox import Inbox
from consultant.mail.outbox import Outbox
from consultant.service import StopSignal, build_consultants, run_daemon
from consultant.state import STATUSES, Summary

log = logging.getLogger(__name__)


def _needs_servers(config: Config) -> None:
    if config.imap is None:
        raise ConfigError("imap", "this command needs an [imap] section (see config.example.toml)")
    if config.smtp is None:
        raise ConfigError("smtp", "this command needs an [smtp] section (see config.example.toml)")


def run(args: argparse.Namespace) -> int:
    """The daemon: runs until SIGTERM or Ctrl-C, then finishes the running pass and exits 0."""
    config = load_config(args.config)
    for cfg in config.served():
        _needs_servers(cfg)
    consultants = build_consultants(config)
    stop = StopSignal()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s received", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        run_daemon(consultants, stop)
    finally:
        consultants[0].ledger.close()
        stop.close()
    return 0


def once(args: argparse.Namespace) -> int:
    """One pass (fetch, answer, send, file), for cron; exit 3 if the mailbox is unreachable."""
    config = load_config(args.config)
    for cfg in config.served():
        _needs_servers(cfg)
    consultants = build_consultants(config)
    try:
        for consultant in consultants:
            try:
                report = consultant.process_pass()
            finally:
                consultant.inbox.close()
            print(("" if len(consultants) == 1 else f"{consultant.mailbox}: ")
                  + f"seen {report.seen}, answered {report.answered}, skipped {report.skipped}, "
                  f"failed {report.failed}, sent {report.sent}, deferred {report.deferred}, "
                  f"filed {report.filed} ({report.ms:.0f} ms)")
    finally:
        consultants[0].knowledge.close()
        consultants[0].ledger.close()
    return 0


def _check_servers(config: Config) -> bool:
    """Log in to one mailbox's IMAP account and greet its SMTP server; print what was found."""
    assert config.imap is not None and config.smtp is not None
    ok = True
    inbox = Inbox(config.imap)
    try:
        t0 = time.perf_counter()
        inbox.open()
        sel = inbox.select(config.imap.folder)
        caps = [c for c in ("IDLE", "MOVE", "UIDPLUS") if inbox.client.has_capability(c)]
        missing = [f for f in (config.imap.processed_folder, config.imap.failed_folder, config.imap.sent_folder)
                   if not inbox.client.folder_exists(f)]
        print(f"imap: {config.imap.host}:{config.imap.port} ({config.imap.security}) login as "
              f"{config.imap.username} ok; {config.imap.folder} UIDVALIDITY {sel.uidvalidity}; "
              f"capabilities {' '.join(caps) or 'none of IDLE/MOVE/UIDPLUS'}; "
              f"{(time.perf_counter() - t0) * 1000:.0f} ms")
        if missing:
            print(f"imap: folders to be created on first use: {', '.join(missing)}")
        if config.imap.idle and "IDLE" not in caps:
            print("imap: the server does not advertise IDLE: polling every "
                  f"{config.imap.poll_interval:g} s instead")
    except (MailboxError, ConfigError) as e:
        ok = False
        print(f"imap: FAILED: {e}")
    finally:
        inbox.close()
    try:
        t0 = time.perf_counter()
        banner = Outbox(config.smtp).check()
        print(f"smtp: {config.smtp.host}:{config.smtp.port} ({config.smtp.security}) ok ({banner}); "
              f"{(time.perf_counter() - t0) * 1000:.0f} ms")
    except (DeliveryError, ConfigError) as e:
        ok = False
        print(f"smtp: FAILED: {e}")
    return ok


def check_config(args: argparse.Namespace) -> int:
    """Validate the file (exit 2 when invalid) and try both servers (exit 3 when one fails)."""
    config = load_config(args.config)
    print(f"configuration: {config.source or 'built-in defaults'}: valid")
    from consultant.mail.authentication import check_config_lines  # who may ask (issue 9)
    print("\n".join(check_config_lines(config.consult.require_authentication, config.consult.authserv_id,
                                        config.consult.allowed_senders)))
    served = config.served()
    for cfg in served:
        _needs_servers(cfg)
    ok = True
    for cfg in served:
        if len(served) > 1:
            print(f"mailbox {cfg.name}:")
        ok = _check_servers(cfg) and ok
    try:
        from consultant.kb.store import CodeBook

        CodeBook.open(config.kb.path).close()
        print(f"kb: {config.kb.path} opens")
        print_currency(config.kb.path)
    except ConsultantError as e:
        ok = False
        print(f"kb: FAILED: {e}")
    return 0 if ok else 3


def status(args: argparse.Namespace) -> int:
    """Last poll, counts by status, outbox queue and its age; `--json` for machines."""
    config = load_config(args.config)
    if config.state.url is None and not config.state.path.exists():
        summary = None
    else:
        with open_ledger(config.state.target()) as ledger:
            summary = ledger.summary()
    now = time.time()
    counts = summary.counts if summary else dict.fromkeys(STATUSES, 0)
    data: dict[str, Any] = {
        "state": str(config.state.path) if config.state.url is None else str(config.state.url),
        "last_poll": {m: _iso(p) for m, p in summary.last_poll.items()} if summary else {},
        "seconds_since_last_poll": {m: (round(now - p, 1) if p else None) for m, p in summary.last_poll.items()}
        if summary else {},
        "counts": counts,
        "outbox_pending": summary.pending_outbox if summary else 0,
        "outbox_oldest_age_seconds": round(now - summary.oldest_pending, 1)
        if summary and summary.oldest_pending else None,
        "outbox_refused": summary.failed_outbox if summary else 0,
        "kb_out_of_date": kb_out_of_date(config.kb.path),
        **_state_health(config.state.path, summary),
        "mailboxes": {
            m: {"counts": c, "watcher": (summary.watchers.get(m) or (None, None))[0],
                "queued_for_analysis": summary.queued_work.get(m, 0),
                "watcher_lease_seconds_left": round(summary.watchers[m][1] - now, 1)
                if m in summary.watchers else None}
            for m, c in sorted(summary.by_mailbox.items())
        } if summary else {},
    }
    if getattr(args, "json", False):
        json.dump(data, sys.stdout, indent=2)
        print()
        return 0
    print_currency(config.kb.path)
    if summary is None:
        print(f"no state yet at {config.state.path} (the daemon has not run)")
        return 0
    for mailbox, when in data["last_poll"].items():
        watcher = data["mailboxes"].get(mailbox, {}).get("watcher")
        print(f"last poll of {mailbox}: {when or 'never'}" + (f"; watched by {watcher}" if watcher else ""))
    print("messages: " + ", ".join(f"{s} {n}" for s, n in counts.items()))
    queued = {m: info["queued_for_analysis"] for m, info in data["mailboxes"].items() if info["queued_for_analysis"]}
    if queued:
        print("read and waiting for a worker (shared analysis): "
              + ", ".join(f"{m} {n}" for m, n in queued.items()))
    if len(data["mailboxes"]) > 1:
        for mailbox, info in data["mailboxes"].items():
            print(f"  {mailbox}: " + ", ".join(f"{s} {n}" for s, n in info["counts"].items() if n))
    age = data["outbox_oldest_age_seconds"]
    print(f"outbox: {data['outbox_pending']} waiting" + (f", oldest {age:.0f} s" if age is not None else "")
          + f"; {data['outbox_refused']} refused by the server")
    for line in _state_lines(data):
        print(line)
    notice = index_notice_at(config.kb.path)
    if notice:
        print(f"knowledge base: {notice}")
    return 0


def _state_health(path: Path, summary: Summary | None) -> dict[str, Any]:
    """The state file's size, its free pages, the free space of its volume, and whether the
    daemon found the volume full (for `status`)."""
    try:
        volume_free: int | None = shutil.disk_usage(path.parent).free
    except OSError:
        volume_free = None
    return {
        "state_file_bytes": summary.file_bytes if summary else 0,
        "state_free_bytes": summary.free_bytes if summary else 0,
        "state_auto_vacuum": summary.auto_vacuum if summary else None,
        "volume_free_bytes": volume_free,
        "volume_full_since": _iso(summary.volume_full_since) if summary else None,
    }


def _state_lines(data: dict[str, Any]) -> list[str]:
    """The state lines of `status` (one list, so more can be added)."""
    lines = [f"state file: {data['state_file_bytes'] / 1e6:.1f} MB, of which {data['state_free_bytes'] / 1e6:.1f} MB "
             f"free pages (vacuum: {data['state_auto_vacuum']}); "
             + (f"{data['volume_free_bytes'] / 1e6:.0f} MB free on its volume" if data["volume_free_bytes"] is not None
                else "free space on its volume unknown")]
    if data["volume_full_since"]:
        lines.append(f"STATE VOLUME FULL since {data['volume_full_since']}: new mail waits unread (queued replies "
                     f"are still sent); free space on the volume of {data['state']} or run `consultant purge`; "
                     "the daemon resumes by itself")
    return lines


def purge(args: argparse.Namespace) -> int:
    """Delete stored data older than the retention period (or --older-than-days)."""
    config = load_config(args.config)
    days = args.older_than_days if getattr(args, "older_than_days", None) is not None else config.state.retention_days
    if days < 0:
        raise ConfigError("--older-than-days", f"must be 0 or more, got {days}")
    with open_ledger(config.state.target()) as ledger:
        deleted = ledger.purge(days)
    print(f"purged data older than {days} days: " + ", ".join(f"{k} {v}" for k, v in deleted.items()))
    return 0


def _iso(ts: float | None) -> str | None:
    if not ts:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))
