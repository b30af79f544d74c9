"""The imperative shell: IMAP and SMTP edges + the ledger + the pure pipeline + the scheduler.

One pass over the watched folder (`Consultant.process_pass`) runs three parts
(consultant.daemon), each with its edges passed in:

    dispatch: send what the outbox already holds (before any new work is claimed)
    for each UID above the cursor:
        intake:   size check -> claim (ledger) -> fetch (BODY.PEEK[]) -> pipeline.consult(...)
                  -> record outcome, codes and the reply in the outbox
        dispatch: send it at once (4xx/refused: retried later with backoff; 5xx: failed)
    every FETCH_CHUNK messages the cursor moves on; at the end of the pass:
        filing:   flag \\Answered, copy the reply to Sent, move the original to the processed
                  (or failed) folder (three IMAP commands a message: after the replies, so
                  they do not hold up the next reply).

So a backlog streams: the first reply of 2,000 waiting cases leaves within seconds, not after
all of them are analysed. Because the reply is recorded before sending and the original is
filed only after sending, a crash anywhere leads to neither a lost case nor a second reply
(see consultant.state).

A full state volume (StateVolumeFull) pauses new work only: one WARNING saying what to free,
`consultant status` shows it, queued replies are still sent and filed, the message being
handled stays unclaimed in the mailbox, and the next pass tries again, so service resumes by
itself (one INFO) when space returns.

Logging: every message handled gets exactly ONE outcome line (INFO; WARNING when it goes to a
human) naming mailbox, UID, Message-ID, outcome, codes count or reason, and milliseconds, with
the same as JSON fields (`--log-format json`). A server fault gets one WARNING when it starts
and one INFO when it is over; repeats in between go to DEBUG. Nothing from the message's
subject or body is ever logged, nor the text of an exception raised while analysing it.

The daemon (`run_daemon`) is ONE APScheduler BackgroundScheduler with one job per mailbox.
Each run of the job does a pass and, where the server advertises IDLE, then waits in IDLE
(passes on every wake-up) until just before its next run, so a reply leaves about a second
after delivery while the poll still happens. A run that finds the previous one still busy (a
long backlog) returns at once (a guard, not APScheduler's "maximum number of running
instances" warning on every poll).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from consultant.config import Config
from consultant.daemon.dispatch import Dispatch
from consultant.daemon.filing import Filing
from consultant.daemon.intake import ConsultFn, Intake
from consultant.daemon.report import PassReport
from consultant.daemon.report import redacted_traceback as _redacted_traceback
from consultant.daemon.report import where as _where
from consultant.errors import (
    ConfigError,
    MailboxAuthError,
    MailboxError,
    StateError,
    StateVolumeFull,
)
from consultant.ledgers import open_ledger
from consultant.mail.inbox import Inbox, Selected
from consultant.mail.outbox import Outbox
from consultant.state import RESERVE_BYTES, Ledger

__all__ = ["Consultant", "Knowledge", "PassReport", "StopSignal", "_redacted_traceback", "_where",
           "build_consultant", "build_consultants", "mailbox_key", "open_knowledge", "run_daemon"]

log = logging.getLogger(__name__)

FETCH_CHUNK = 50
WATCH_LEASE = 20.0        # seconds a watcher's lease lasts; renewed every WATCH_CHECK seconds,
WATCH_CHECK = 5.0         # so a standby instance takes a dead watcher's mailbox within ~25 s
WORK_AHEAD = 4            # shared analysis: the watcher reads this many messages ahead of its own work
WORK_POLL = 0.25          # seconds a standby instance waits when the shared work queue is empty
FILE_SOON = 2.0           # shared analysis: the watcher passes this often while others' answers await filing

KnowledgeFactory = Callable[[Path], tuple[Any, Any]]


def open_knowledge(path: Path) -> tuple[Any, Any]:
    """The real code book and suggestion index (imported here: the daemon needs them, tests may not)."""
    from consultant.analysis.suggest import SuggestIndex
    from consultant.kb.store import CodeBook

    book = CodeBook.open(path)
    return book, SuggestIndex.load(book)


class Knowledge:
    """The code book in use, re-opened when `kb update` swaps in a new file (inode/mtime change)."""

    def __init__(self, path: Path, factory: KnowledgeFactory = open_knowledge) -> None:
        self.path = Path(path)
        self._factory = factory
        self._stamp: tuple[int, int, int] | None = None
        self._pair: tuple[Any, Any] | None = None
        self.loads = 0

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def current(self) -> tuple[Any, Any]:
        stamp = self._stat()
        if self._pair is None or (stamp is not None and stamp != self._stamp):
            t0 = time.perf_counter()
            log.debug("opening the knowledge base %s", self.path)
            pair = self._factory(self.path)       # raises KnowledgeBaseError when unusable
            old, self._pair, self._stamp = self._pair, pair, stamp
            self.loads += 1
            if old is not None:
                log.info("knowledge base %s changed: re-opened in %.0f ms", self.path,
                         (time.perf_counter() - t0) * 1000)
                close = getattr(old[0], "close", None)
                if callable(close):
                    close()
        assert self._pair is not None
        return self._pair

    def close(self) -> None:
        if self._pair is not None:
            close = getattr(self._pair[0], "close", None)
            if callable(close):
                close()
            self._pair = None


class StopSignal:
    """A stop flag that also wakes a select() (the IDLE wait) through a pipe."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._r, self._w = os.pipe()
        os.set_blocking(self._w, False)

    @property
    def fd(self) -> int:
        return self._r

    def set(self) -> None:
        if not self._event.is_set():
            self._event.set()
            try:
                os.write(self._w, b"x")
            except OSError:
                pass

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._event.wait(timeout)

    @property
    def event(self) -> threading.Event:
        return self._event

    def close(self) -> None:
        for fd in (self._r, self._w):
            try:
                os.close(fd)
            except OSError:
                pass


def _utc_now() -> datetime:
    return datetime.now(UTC)


def mailbox_key(config: Config) -> str:
    """The ledger's name of a watched folder: the folder itself for the single-mailbox file (as
    before), 'NAME/FOLDER' for a [[mailbox]] (two accounts may both watch INBOX)."""
    assert config.imap is not None
    return config.imap.folder if config.name == "default" else f"{config.name}/{config.imap.folder}"


class Consultant:
    """Everything one mailbox needs: intake, dispatch and filing over the same edges, which
    are passed in. `stream=False` queues every new message before sending any (the old order;
    for bench/latency.py's comparison only)."""

    def __init__(self, config: Config, ledger: Ledger, inbox: Inbox, outbox: Outbox, knowledge: Knowledge, *,
                 consult: ConsultFn | None = None, clock: Callable[[], datetime] = _utc_now,
                 checkpoint: Callable[[str], None] | None = None, stream: bool = True,
                 analysis_lock: threading.Lock | None = None) -> None:
        if config.imap is None or config.smtp is None:
            raise ConfigError("imap" if config.imap is None else "smtp",
                              "the daemon needs both [imap] and [smtp] sections")
        self.config = config
        self.imap = config.imap
        self.ledger = ledger
        self.inbox = inbox
        self.outbox = outbox
        self.knowledge = knowledge
        if consult is None:
            from consultant.pipeline import consult as pipeline_consult
            consult = pipeline_consult
        self.clock = clock
        self.checkpoint = checkpoint or (lambda name: None)
        self.stream = stream
        self.settings = config.consult_settings()
        self.bot_address = config.bot_address
        self.mailbox = mailbox_key(config)
        self.dispatch = Dispatch(ledger, outbox, failed_folder=self.imap.failed_folder,
                                 bot_address=self.bot_address,
                                 escalation_address=config.consult.escalation_address,
                                 message_id_domain=self.settings.message_id_domain, checkpoint=self.checkpoint,
                                 mailbox=self.mailbox)
        self.filing = Filing(ledger, inbox, self.imap, checkpoint=self.checkpoint, mailbox=self.mailbox)
        self.intake = Intake(config, ledger, inbox, knowledge, consult=consult, clock=clock,
                             checkpoint=self.checkpoint, on_file_fault=self.filing.note_fault,
                             analysis_lock=analysis_lock, share=config.state.share_analysis)
        self.volume_full_since: float | None = None      # wall time the state volume was found full
        self.busy = threading.Lock()                      # held while a scheduler run works
        self.holding = False                              # this process watches the mailbox (lease held)
        self._standing_by: str | None = None              # the other watcher, while this one stands by
        self._heartbeat: threading.Thread | None = None
        self.mailbox_count = 1                            # mailboxes in the file: the fair share counts them

    @property
    def _consult(self) -> ConsultFn:
        return self.intake.consult

    @_consult.setter
    def _consult(self, fn: ConsultFn) -> None:
        self.intake.consult = fn

    # ------------------------------------------------------------------ one pass
    def process_pass(self, stop: StopSignal | None = None) -> PassReport:
        """Send what is queued, then take each new message and send its reply at once, file
        what is done. A full state volume pauses the taking only (see the module doc)."""
        t0 = time.perf_counter()
        report = PassReport()
        self.inbox.open()
        sel = self.inbox.select(self.imap.folder)
        was_full = self.volume_full_since is not None
        self._send(report)                       # queued replies go out before any new claim
        start = 0
        take = True
        if self.volume_full_since is not None:   # paused: new work only once the reserve fits again
            take = was_full and self.ledger.keep_reserve()
            report.paused = not take
            if not take:
                log.debug("state volume full: new mail waits; queued replies are sent")
        if take:
            try:
                start = self.ledger.start_after(self.mailbox, sel.uidvalidity)
                self._take_new(sel, start, report, stop)
                self._work_queue(report, stop)
            except StateVolumeFull as e:
                self._volume_full(e, report)
            else:
                if self.volume_full_since is not None:
                    self._volume_ok()
        self._send(report)
        self._file(report, stop)
        try:
            self.ledger.touch_poll(self.mailbox)
        except StateVolumeFull as e:
            self._volume_full(e, report)
        report.more = self.inbox.new_mail_signalled()
        report.ms = (time.perf_counter() - t0) * 1000
        if not (report.seen or report.sent or report.filed or report.deferred or report.answered):
            log.debug("pass %s: nothing new above UID %d (UIDVALIDITY %d)%s", self.mailbox, start, sel.uidvalidity,
                      "; the server announced new mail meanwhile" if report.more else "")
        else:
            log.info("pass %s: seen=%d%s answered=%d skipped=%d failed=%d busy=%d sent=%d deferred=%d "
                     "filed=%d%s in %.0f ms", self.mailbox, report.seen,
                     f" queued={report.queued}" if self.intake.share else "", report.answered, report.skipped,
                     report.failed, report.busy, report.sent, report.deferred, report.filed,
                     " (new work paused: state volume full)" if report.paused else "", report.ms)
        return report

    def _take_new(self, sel: Selected, start: int, report: PassReport, stop: StopSignal | None) -> None:
        """Intake of every UID above the cursor, each reply sent as soon as it is queued; the
        cursor moves past what is settled after every chunk (raises StateVolumeFull)."""
        uids = self.inbox.uids_after(start)
        settled_upto, blocked, cut = start, False, False
        try:
            for i in range(0, len(uids), FETCH_CHUNK):
                for env in self.inbox.envelopes(uids[i:i + FETCH_CHUNK]):
                    if stop is not None and stop.is_set():
                        cut = True
                        break
                    report.seen += 1
                    settled = self.intake.handle(self.mailbox, sel.uidvalidity, env, report)
                    blocked = blocked or not settled
                    if not blocked:
                        settled_upto = env.uid
                    if self.intake.share:        # read ahead of the workers, work too
                        self._work_queue(report, stop, leave=WORK_AHEAD)
                    if self.stream:
                        self._send(report)
                if cut:
                    break
                if settled_upto > start:
                    self.ledger.advance(self.mailbox, sel.uidvalidity, settled_upto)
            if uids and not blocked and not cut:
                settled_upto = max(settled_upto, uids[-1])   # UIDs expunged before the fetch count as done
        finally:
            if settled_upto > start:
                try:
                    self.ledger.advance(self.mailbox, sel.uidvalidity, settled_upto)
                except StateVolumeFull:
                    pass           # the next pass starts lower and the ledger de-duplicates

    def _work_queue(self, report: PassReport, stop: StopSignal | None, leave: int = 0) -> None:
        """Answer queued messages of this mailbox (shared analysis; other instances take them too)
        until at most `leave` wait; each reply is sent at once. Also run when sharing is off, so
        that mail queued before a configuration change is answered."""
        while not (stop is not None and stop.is_set()):
            if leave and self.ledger.queued_work(self.mailbox) <= leave:
                return
            if not self.intake.work_one(self.mailbox, report):
                return
            if self.stream:
                self._send(report)

    def _help(self, stop: StopSignal, seconds: float) -> None:
        """Standing by (another instance watches the mailbox): answer the mail it queues, for
        `seconds`. Replies are sent from here (outbox leases keep each one sent once); the
        watcher files them."""
        end = time.monotonic() + seconds
        while not stop.is_set() and (left := end - time.monotonic()) > 0:
            worked = False
            if self.intake.share:
                report = PassReport()
                try:
                    worked = self.intake.work_one(self.mailbox, report)
                    if worked:
                        self._send(report)
                except StateError as e:          # e.g. the database restarting: wait, try again
                    log.debug("shared work of %s not taken: %s", self.mailbox, e)
            if not worked:
                stop.wait(min(WORK_POLL if self.intake.share else left, left))

    def _send(self, report: PassReport) -> None:
        try:
            self.dispatch.flush(report)
        except StateVolumeFull as e:
            if self._volume_full(e, report):          # the reserve gave room: send with it
                try:
                    self.dispatch.flush(report)
                except StateVolumeFull:
                    log.debug("state volume full even with the reserve released: sending waits")

    def _file(self, report: PassReport, stop: StopSignal | None = None) -> None:
        try:
            self.filing.file_decided(report, stop.is_set if stop is not None else None)
        except StateVolumeFull as e:
            self._volume_full(e, report)

    def _volume_full(self, e: StateVolumeFull, report: PassReport) -> bool:
        """Pause new work; release the reserve so queued replies can still be recorded as sent.
        Returns True when the reserve was released just now (worth trying again)."""
        report.paused = True
        released = self.ledger.release_reserve()
        self.dispatch.tight = True
        if self.volume_full_since is None:
            self.volume_full_since = time.time()
            log.warning("%s%s", e, " (the reserve kept next to it was released for that)" if released else "")
            self.ledger.note_volume_full(self.volume_full_since)
        else:
            log.debug("state volume still full: new work stays paused")
        return released

    def _volume_ok(self) -> None:
        assert self.volume_full_since is not None
        log.info("the state volume has room again after %.0f s: new mail is taken again",
                 time.time() - self.volume_full_since)
        self.volume_full_since = None
        self.dispatch.tight = False
        self.ledger.note_volume_full(None)

    # ------------------------------------------------------------------ the parts, for callers
    def flush_outbox(self, report: PassReport | None = None) -> int:
        """Send every queued mail that is due; returns how many went out."""
        return self.dispatch.flush(report)

    def file_decided(self, report: PassReport | None = None) -> int:
        """Flag, copy to Sent and move every decided message whose mails are sent."""
        return self.filing.file_decided(report)

    # ------------------------------------------------------------------ the job
    def _pass_until_quiet(self, stop: StopSignal) -> None:
        """Pass again while passes find mail: a server reports new mail (EXISTS) in the reply
        to whatever command is running, so mail that arrives while we fetch or file is only
        seen by the next SEARCH, not by the next IDLE."""
        report = self.process_pass(stop)
        while (report.seen or report.more) and not report.paused and not stop.is_set():
            report = self.process_pass(stop)

    # ------------------------------------------------------------------ one watcher per mailbox
    def take_watch(self, stop: StopSignal, until: float) -> bool:
        """Hold the mailbox's watcher lease (see Ledger.hold_watch), or stand by until `until`,
        asking again every WATCH_CHECK seconds: when the watcher dies, this instance takes the
        mailbox within about WATCH_LEASE seconds and resumes from the ledger."""
        while not stop.is_set():
            try:
                if self.ledger.hold_watch(self.mailbox, WATCH_LEASE, limit=self._fair_share()):
                    if self._standing_by is not None:
                        log.warning("mailbox %s: taking over from %s", self.mailbox, self._standing_by)
                        self._standing_by = None
                    self.holding = True
                    self._start_heartbeat(stop)
                    return True
                owner = self.ledger.watchers().get(self.mailbox, ("another instance", 0.0))[0]
            except StateError as e:          # cannot tell (e.g. a full volume): watch; claims de-duplicate
                log.debug("watcher lease of %s not checked: %s", self.mailbox, e)
                self.holding = True
                return True
            if self._standing_by != owner:
                log.info("mailbox %s is watched by %s: standing by", self.mailbox, owner)
                self._standing_by = owner
            remaining = until - time.monotonic()
            if remaining <= 0:
                return False
            self._help(stop, min(WATCH_CHECK, remaining))
        return False

    def _fair_share(self) -> int | None:
        """How many mailboxes this instance watches at most while others are alive (all the
        mailboxes of the file divided among the live instances, rounded up); None for one."""
        if self.mailbox_count <= 1:
            return None
        live = self.ledger.note_instance(WATCH_LEASE)
        return -(-self.mailbox_count // live)

    def _over_share(self) -> bool:
        """This instance watches more than its share and this mailbox is one of the extra ones
        (the last in name order, so that the instance's mailboxes agree which to hand over)."""
        share = self._fair_share()
        if share is None:
            return False
        held = self.ledger.watched_by_me()
        return len(held) > share and self.mailbox in held[share:]

    def _start_heartbeat(self, stop: StopSignal) -> None:
        if self._heartbeat is not None and self._heartbeat.is_alive():
            return

        def beat() -> None:
            while not stop.wait(WATCH_CHECK) and self.holding:
                try:
                    if not self.ledger.hold_watch(self.mailbox, WATCH_LEASE):
                        log.warning("mailbox %s: another instance took the watch (this one stalled past "
                                    "its lease); standing by", self.mailbox)
                        self.holding = False
                    elif self._over_share():
                        log.info("mailbox %s: handed to another instance (this one watches more than its "
                                 "share of the %d mailboxes); standing by", self.mailbox, self.mailbox_count)
                        self.holding = False
                        self.ledger.drop_watch(self.mailbox)
                except StateError as e:
                    log.debug("watcher lease of %s not renewed: %s", self.mailbox, e)

        self._heartbeat = threading.Thread(target=beat, name=f"watch-lease:{self.mailbox}", daemon=True)
        self._heartbeat.start()

    def drop_watch(self) -> None:
        """At a clean stop: hand the mailbox to a standby instance at once."""
        if self.holding:
            self.holding = False
            try:
                self.ledger.drop_watch(self.mailbox)
            except StateError as e:
                log.debug("watcher lease of %s not dropped: %s", self.mailbox, e)

    def watch(self, stop: StopSignal, until: float) -> None:
        """One scheduler run: hold the mailbox's watcher lease (or stand by), connect, pass,
        then IDLE-and-pass until `until` (time.monotonic()).

        Without IDLE it returns after the pass (the scheduler polls). A dropped connection is
        re-opened with exponential backoff within the run; a refused login waits for the next run.
        """
        if not self.take_watch(stop, until):
            return
        failures = 0
        while not stop.is_set() and time.monotonic() < until:
            try:
                if not self.inbox.connected:
                    self.inbox.connect_with_retry(stop.event, deadline=until)
                self._pass_until_quiet(stop)
                failures = 0
                if self.imap.idle and self.inbox.supports_idle():
                    self._idle_until(stop, until)
                return
            except MailboxAuthError as e:
                log.error("IMAP login refused: %s; trying again on the next run", e)
                self.inbox.close()
                return
            except MailboxError as e:
                self.inbox.note_fault(f"IMAP trouble: {e}; reconnecting")
                self.inbox.close()
                failures += 1
                if failures > 1:     # connects but fails again at once: back off, do not spin
                    stop.wait(min(30.0, 0.5 * 2 ** (failures - 2)))
            except StateError as e:
                log.error("state database trouble: %s", e)
                return
            except ConfigError as e:        # e.g. the password's environment variable is gone
                log.error("configuration problem: %s; trying again on the next run", e)
                self.inbox.close()
                return

    def _idle_until(self, stop: StopSignal, until: float) -> None:
        while not stop.is_set() and self.holding:
            now = time.monotonic()
            if now >= until:
                return
            wait = min(self.imap.idle_renew, until - now)
            due = self.ledger.next_outbox_due(self.mailbox)
            if due is not None:
                wait = min(wait, max(0.05, due - self.ledger.clock()))
            if self.intake.share and self.ledger.open_work(self.mailbox):
                wait = min(wait, FILE_SOON)      # others answer what it read: file (and help) soon
            responses = self.inbox.idle_wait(wait, stop.fd)
            log.debug("IDLE ended after up to %.1f s with %d server responses", wait, len(responses))
            if stop.is_set():
                return
            self._pass_until_quiet(stop)


# ---------------------------------------------------------------------- wiring
def build_consultant(config: Config, *, knowledge_factory: KnowledgeFactory = open_knowledge,
                     imap_connect: Any = None, smtp_connect: Any = None,
                     consult: ConsultFn | None = None, clock: Callable[[], datetime] = _utc_now,
                     wall: Callable[[], float] = time.time,
                     checkpoint: Callable[[str], None] | None = None, stream: bool = True) -> Consultant:
    """The daemon's object graph from the configuration (the seams are for tests). An older
    state file is converted to incremental vacuum here (once), so it shrinks with its data."""
    if config.imap is None or config.smtp is None:
        raise ConfigError("imap" if config.imap is None else "smtp",
                          "this command needs both [imap] and [smtp] sections in the configuration")
    ledger = open_ledger(config.state.target(), keep_bodies=config.state.keep_bodies, clock=wall)
    ledger.enable_incremental_vacuum()
    if not ledger.keep_reserve():
        log.warning("the volume of the state database %s has less than %d MB free: free space there",
                    config.state.path, RESERVE_BYTES >> 20)
    return Consultant(config, ledger, Inbox(config.imap, imap_connect), Outbox(config.smtp, smtp_connect),
                      Knowledge(config.kb.path, knowledge_factory), consult=consult, clock=clock,
                      checkpoint=checkpoint, stream=stream)


def build_consultants(config: Config, *, knowledge_factory: KnowledgeFactory = open_knowledge,
                      imap_connect: Any = None, smtp_connect: Any = None,
                      consult: ConsultFn | None = None, clock: Callable[[], datetime] = _utc_now,
                      wall: Callable[[], float] = time.time) -> list[Consultant]:
    """One Consultant per mailbox the file serves ([[mailbox]] entries, or the file itself),
    sharing one ledger and one knowledge base."""
    served = config.served()
    first = build_consultant(served[0], knowledge_factory=knowledge_factory, imap_connect=imap_connect,
                             smtp_connect=smtp_connect, consult=consult, clock=clock, wall=wall)
    out = [first]
    first.mailbox_count = len(served)
    for cfg in served[1:]:
        if cfg.imap is None or cfg.smtp is None:
            raise ConfigError(f"mailbox {cfg.name!r}: " + ("imap" if cfg.imap is None else "smtp"),
                              "each mailbox needs an IMAP account and an SMTP server (its own or inherited)")
        out.append(Consultant(cfg, first.ledger, Inbox(cfg.imap, imap_connect), Outbox(cfg.smtp, smtp_connect),
                              first.knowledge, consult=consult, clock=clock,
                              analysis_lock=first.intake.analysis_lock))
        out[-1].mailbox_count = len(served)
    return out


def run_daemon(consultants: Consultant | Sequence[Consultant], stop: StopSignal) -> None:
    """Run until `stop` is set: one BackgroundScheduler, one job per mailbox."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler

    served = [consultants] if isinstance(consultants, Consultant) else list(consultants)
    # two workers a mailbox: a second run of a job only ever meets the guard and returns
    scheduler = BackgroundScheduler(executors={"default": ThreadPoolExecutor(max_workers=2 * len(served))},
                                    timezone=UTC)
    for consultant in served:
        _add_job(scheduler, consultant, stop)
    scheduler.start()
    try:
        while not stop.wait(1.0):
            pass
    finally:
        log.info("stopping: waiting for the running passes to finish")
        scheduler.shutdown(wait=True)
        for consultant in served:
            consultant.drop_watch()
            consultant.inbox.close()
        served[0].knowledge.close()
        log.info("stopped")


def _add_job(scheduler: Any, consultant: Consultant, stop: StopSignal) -> None:
    interval = consultant.imap.poll_interval
    margin = min(0.25, interval / 10)

    def job() -> None:
        # the guard: a run that finds the previous one still busy (a long backlog) returns at
        # once; APScheduler's own max_instances=1 would log a WARNING on every poll instead
        if not consultant.busy.acquire(blocking=False):
            log.debug("the previous run is still busy: this poll is left to it")
            return
        try:
            consultant.watch(stop, until=time.monotonic() + interval - margin)
        except Exception as e:  # noqa: BLE001 - a bug: log where (never the message text), close, next run
            log.error("pass aborted by an internal error: %s; the connection is re-opened on the next run",
                      _where(e))
            log.debug("traceback:\n%s", _redacted_traceback(e))
            consultant.inbox.close()
        finally:
            consultant.busy.release()

    scheduler.add_job(job, "interval", seconds=interval, id=f"mailbox:{consultant.mailbox}",
                      next_run_time=datetime.now(UTC), max_instances=2, coalesce=True,
                      misfire_grace_time=max(1, int(interval)))
    log.info("watching %s on %s:%d (poll every %g s, IDLE %s)", consultant.mailbox, consultant.imap.host,
             consultant.imap.port, interval, "on" if consultant.imap.idle else "off")
