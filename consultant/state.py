"""The ledger: what the bot has seen, claimed, decided and sent (SQLite in WAL mode).

Why it exists: IMAP flags alone cannot make "never a duplicate reply, never a lost email"
true across crashes, restarts, two processes on one mailbox and UIDVALIDITY resets. So:

* a row per message, keyed by Message-ID, is *claimed* atomically (BEGIN IMMEDIATE +
  INSERT ... ON CONFLICT DO NOTHING) before any work; a claim is a lease that a dead owner
  (same host, pid gone) or an expired lease gives up;
* the reply is written to the *outbox* in the same transaction that records the outcome,
  BEFORE it is sent; sending leases one outbox row at a time and marks it sent;
* only after that is the original flagged and moved ("filed");
* a mailbox cursor (UIDVALIDITY + last UID) says where the next search starts; when
  UIDVALIDITY changes the search starts again at 0 and Message-IDs de-duplicate.

Disk full: every write goes through `_tx`, which turns SQLITE_FULL / ENOSPC into
`StateVolumeFull` (the service pauses new work and keeps sending; see consultant.service).
Claims are one small transaction each, and sending and filing only update rows in place; but
even an update needs room (SQLite rewrites a row with its overflow pages, and the WAL
grows), so the daemon keeps a reserve: a few pages of ballast inside the file and a small file
next to it (`keep_reserve`), both released when the volume fills (`release_reserve`). Queued
replies still go out when nothing new fits, and the reserve fitting again is the sign that
space has returned. The file uses incremental auto-vacuum:
`reclaim()` gives free pages back to the volume after scrubbing and purging, so the file stays
near its live size (`enable_incremental_vacuum` converts an older file once).

Filing is claimed like answering (`claim_filing`), so two processes sharing one state file
never flag, copy or move one message twice.

No body text is kept unless `keep_bodies`; a SHA-256 of the raw message is. Senders are
stored only as a keyed hash (for rate limiting). A queued mail must be kept until it is sent
and copied to Sent; once its case is filed its bytes are blanked, with `secure_delete` on and
the WAL truncated, so no patient text stays in the files (`scrub`).

A send is "in doubt" when the process that leased it died before recording the result: the
server may or may not have accepted it. It is sent again with the same Message-ID (the
receiving side can recognise the copy) and logged; the window is the time between the
server's 250 and the ledger's commit, well under a millisecond.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Self

from consultant.errors import StateError, StateVolumeFull
from consultant.mail.limits import Exchange, ExchangeLimits, History, Stop, decide

log = logging.getLogger(__name__)

CLAIMED, ANSWERED, SKIPPED, FAILED, WAITING, ESCALATED = (
    "claimed", "answered", "skipped", "failed", "waiting", "escalated")
STATUSES = (CLAIMED, ANSWERED, SKIPPED, FAILED, WAITING, ESCALATED)
SCHEMA_VERSION = 5
FILING_LEASE_SECONDS = 120.0
WORK_LEASE_SECONDS = 120.0       # an analysis taken by a worker that stops answering is taken again
RESERVE_BYTES = 4 * 1024 * 1024     # kept free next to the state file for sending when the volume fills
BALLAST_ROWS, BALLAST_ROW_BYTES = 8, 32 * 1024   # pages kept inside the file for the same reason
_BALLAST = "CREATE TABLE IF NOT EXISTS ballast (id INTEGER PRIMARY KEY, pad BLOB NOT NULL)"

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS cursor (
    mailbox      TEXT PRIMARY KEY,
    uidvalidity  INTEGER NOT NULL,
    last_uid     INTEGER NOT NULL,
    last_poll    REAL
);
CREATE TABLE IF NOT EXISTS message (
    message_id   TEXT PRIMARY KEY,
    mailbox      TEXT NOT NULL,
    uidvalidity  INTEGER NOT NULL,
    uid          INTEGER NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ({", ".join(f"'{s}'" for s in STATUSES)})),
    reason       TEXT,
    final_status TEXT,
    codes        TEXT NOT NULL DEFAULT '',
    size         INTEGER,
    body_hash    TEXT,
    body         BLOB,
    sender_key   TEXT,
    destination  TEXT,
    owner        TEXT,
    claimed_at   REAL,
    created_at   REAL NOT NULL,
    updated_at   REAL NOT NULL,
    filed_at     REAL,
    filing_owner TEXT,
    filing_until REAL
);
CREATE INDEX IF NOT EXISTS message_location ON message (mailbox, uidvalidity, uid);
CREATE INDEX IF NOT EXISTS message_updated ON message (updated_at);
CREATE TABLE IF NOT EXISTS outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    case_message_id  TEXT NOT NULL,
    message_id       TEXT NOT NULL UNIQUE,
    kind             TEXT NOT NULL,
    mail_from        TEXT NOT NULL,
    recipients       TEXT NOT NULL,
    raw              BLOB NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt     REAL NOT NULL,
    lease_until      REAL,
    lease_owner      TEXT,
    created_at       REAL NOT NULL,
    sent_at          REAL,
    failed_at        REAL,
    last_error       TEXT,
    copied_at        REAL
);
CREATE INDEX IF NOT EXISTS outbox_case ON outbox (case_message_id);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (next_attempt) WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE TABLE IF NOT EXISTS ballast (id INTEGER PRIMARY KEY, pad BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS health (
    key    TEXT PRIMARY KEY,
    since  REAL
);
INSERT OR IGNORE INTO health (key, since) VALUES ('volume_full', NULL);
CREATE TABLE IF NOT EXISTS sender_event (
    sender_key  TEXT NOT NULL,
    at          REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sender_event_key ON sender_event (sender_key, at);
CREATE TABLE IF NOT EXISTS watcher (
    mailbox      TEXT PRIMARY KEY,
    owner        TEXT NOT NULL,
    since        REAL NOT NULL,
    lease_until  REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS exchange (
    at                 REAL NOT NULL,
    case_message_id    TEXT NOT NULL,
    reply_message_id   TEXT NOT NULL,
    thread_key         TEXT NOT NULL,
    correspondent_key  TEXT NOT NULL,
    domain_key         TEXT NOT NULL,
    followup           INTEGER NOT NULL,
    text_key           TEXT NOT NULL,
    reply_runs         TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS exchange_at ON exchange (at);
CREATE INDEX IF NOT EXISTS exchange_thread ON exchange (thread_key, at);
CREATE INDEX IF NOT EXISTS exchange_correspondent ON exchange (correspondent_key, at);
CREATE INDEX IF NOT EXISTS exchange_domain ON exchange (domain_key, at);
CREATE INDEX IF NOT EXISTS exchange_case ON exchange (case_message_id);
CREATE INDEX IF NOT EXISTS exchange_reply ON exchange (reply_message_id);
CREATE TABLE IF NOT EXISTS exchange_stop (
    scope  TEXT PRIMARY KEY,
    at     REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS instance (
    owner       TEXT PRIMARY KEY,
    seen_until  REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS work (
    message_id   TEXT PRIMARY KEY,
    mailbox      TEXT NOT NULL,
    raw          BLOB NOT NULL,
    queued_at    REAL NOT NULL,
    taker        TEXT,
    taken_until  REAL
);
CREATE INDEX IF NOT EXISTS work_mailbox ON work (mailbox, queued_at);
PRAGMA user_version = {SCHEMA_VERSION};
"""


@dataclass(frozen=True)
class MessageRow:
    message_id: str
    mailbox: str
    uidvalidity: int
    uid: int
    status: str
    reason: str | None
    codes: tuple[str, ...]
    destination: str | None
    filed: bool


@dataclass(frozen=True)
class Claim:
    """The answer of `Ledger.claim`: what this process may do with the message.

    action: "new" (consult it), "resume" (outcome recorded earlier: only send and file),
    "done" (nothing left to do), "busy" (another live process holds it).
    """

    action: str
    row: MessageRow | None = None


@dataclass(frozen=True)
class Outgoing:
    """One mail to send, recorded before sending."""

    message_id: str
    kind: str                  # "reply" | "escalation" | "notice"
    mail_from: str
    recipients: tuple[str, ...]
    raw: bytes


@dataclass(frozen=True)
class OutboxRow:
    id: int
    case_message_id: str
    message_id: str
    kind: str
    mail_from: str
    recipients: tuple[str, ...]
    raw: bytes
    attempts: int
    copied: bool = False           # in the Sent folder
    copy_started: bool = False     # an APPEND to Sent began (and may have landed) but was not recorded


@dataclass(frozen=True)
class Summary:
    """What `consultant status` prints."""

    counts: dict[str, int]
    last_poll: dict[str, float | None]
    pending_outbox: int
    oldest_pending: float | None        # created_at of the oldest unsent mail
    failed_outbox: int
    volume_full_since: float | None = None   # the daemon found the state volume full then
    file_bytes: int = 0                 # size of the state file
    free_bytes: int = 0                 # of which free pages (given back by incremental vacuum)
    auto_vacuum: str = "none"           # "incremental" once converted
    by_mailbox: dict[str, dict[str, int]] = field(default_factory=dict)   # mailbox -> status -> count
    watchers: dict[str, tuple[str, float]] = field(default_factory=dict)  # mailbox -> (host:pid, lease end)
    queued_work: dict[str, int] = field(default_factory=dict)  # mailbox -> messages waiting for a worker


@dataclass(frozen=True)
class Work:
    """A claimed, fetched message left for any instance to analyse (`Ledger.take_work`)."""

    message_id: str
    mailbox: str
    uid: int
    raw: bytes


_OF_MAILBOX = " AND case_message_id IN (SELECT message_id FROM message WHERE mailbox = ?)"


def is_volume_full(e: BaseException) -> bool:
    """SQLITE_FULL (a full volume, or `max_page_count` reached) or ENOSPC."""
    if isinstance(e, sqlite3.Error):
        return (getattr(e, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
                or "database or disk is full" in str(e))
    return isinstance(e, OSError) and e.errno == errno.ENOSPC


def owner_token() -> str:
    """host:pid — lets a restarted process take over the claims of a dead one on this host."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _owner_alive(owner: str) -> bool:
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True                # another host: only the lease can expire it
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sender_key(address: str) -> str:
    """A stable hash of a sender address: rate limiting without storing the address."""
    return hashlib.sha256(b"caseconsultant-sender:" + address.strip().lower().encode()).hexdigest()[:32]


def body_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


class Ledger:
    """One SQLite file; safe to share between processes (WAL + BEGIN IMMEDIATE) and threads."""

    def __init__(self, path: Path, *, keep_bodies: bool = False, clock: Callable[[], float] = time.time,
                 owner: str | None = None, lease_seconds: float = 300.0) -> None:
        self.path = Path(path)
        self.keep_bodies = keep_bodies
        self.clock = clock
        self.owner = owner or owner_token()
        self.lease_seconds = lease_seconds
        self._lock = threading.RLock()
        try:
            if str(self.path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(str(self.path), timeout=30, isolation_level=None,
                                         check_same_thread=False)
            if self._conn.execute("PRAGMA page_count").fetchone()[0] == 0:
                # a new file: free pages go back to the volume (see reclaim); set before anything else
                self._conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("PRAGMA busy_timeout=30000")
            self._conn.execute("PRAGMA secure_delete=ON")     # freed pages are zeroed, not left behind
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, 1, 2, 3, 4, SCHEMA_VERSION):
                raise StateError(f"state database {self.path} has schema version {version}, this "
                                 f"program writes {SCHEMA_VERSION}: move it aside and restart")
            if version == 1:
                self._migrate_1_to_2()
            if version in (1, 2):
                self._migrate_2_to_3()
            if version != SCHEMA_VERSION:      # an up-to-date file is not written at open (a full volume)
                self._conn.executescript(SCHEMA)
        except StateError:
            raise
        except (sqlite3.Error, OSError) as e:
            raise StateError(f"state database {self.path} cannot be opened ({e}): check the "
                             "[state] path and its folder's permissions") from e

    def _migrate_1_to_2(self) -> None:
        have = {r[1] for r in self._conn.execute("PRAGMA table_info(outbox)")}
        for column, kind in (("lease_owner", "TEXT"), ("copied_at", "REAL")):
            if column not in have:
                self._conn.execute(f"ALTER TABLE outbox ADD COLUMN {column} {kind}")

    def _migrate_2_to_3(self) -> None:
        have = {r[1] for r in self._conn.execute("PRAGMA table_info(message)")}
        for column, kind in (("filing_owner", "TEXT"), ("filing_until", "REAL")):
            if have and column not in have:
                self._conn.execute(f"ALTER TABLE message ADD COLUMN {column} {kind}")

    def enable_incremental_vacuum(self) -> bool:
        """Convert a file made without incremental auto-vacuum (one VACUUM; needs free space
        about the file's size and no other process using it). Returns True when the file
        uses it afterwards; a failure is logged and left for the next start."""
        with self._lock:
            if self._conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 2:
                return True
            try:
                self._conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
                self._conn.execute("VACUUM")
            except sqlite3.Error as e:
                log.warning("state database %s: could not switch on incremental vacuum (%s); the file "
                            "keeps its free pages until the next start", self.path, e)
                return False
            log.info("state database %s converted to incremental vacuum", self.path)
            return True

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _full(self, e: BaseException) -> StateVolumeFull:
        try:
            size = f"{self.path.stat().st_size / 1e6:.1f} MB"
        except OSError:
            size = "size unknown"
        return StateVolumeFull(
            f"the volume of the state database {self.path} is full ({e}): free space on it (the state "
            f"file is {size}; `consultant purge --older-than-days N` deletes old records); meanwhile new "
            "mail waits unread, queued replies are still sent, and service resumes by itself")

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE: takes the write lock at once, so read-then-write is atomic across processes.
        A full volume raises StateVolumeFull (the transaction rolled back, nothing half-written)."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as e:
                if is_volume_full(e):
                    raise self._full(e) from e
                raise StateError(f"state database {self.path} is locked or unwritable ({e})") from e
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException as e:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                if is_volume_full(e):
                    raise self._full(e) from e
                raise

    def _query(self, sql: str, params: Sequence[object] | dict[str, object] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    # ------------------------------------------------------------------ cursor
    def cursor(self, mailbox: str) -> tuple[int, int] | None:
        """(uidvalidity, last_uid) of the mailbox, or None before the first pass."""
        rows = self._query("SELECT uidvalidity, last_uid FROM cursor WHERE mailbox = ?", (mailbox,))
        return (rows[0][0], rows[0][1]) if rows else None

    def start_after(self, mailbox: str, uidvalidity: int) -> int:
        """The UID to search above. A changed UIDVALIDITY restarts at 0 (Message-IDs de-duplicate)."""
        cur = self.cursor(mailbox)
        if cur is None or cur[0] != uidvalidity:
            if cur is not None:
                log.warning("mailbox %s: UIDVALIDITY changed %d -> %d; re-reading it, "
                            "de-duplicating by Message-ID", mailbox, cur[0], uidvalidity)
            with self._tx() as c:
                c.execute("INSERT INTO cursor (mailbox, uidvalidity, last_uid) VALUES (?, ?, 0) "
                          "ON CONFLICT(mailbox) DO UPDATE SET uidvalidity = excluded.uidvalidity, last_uid = 0",
                          (mailbox, uidvalidity))
            return 0
        return cur[1]

    def advance(self, mailbox: str, uidvalidity: int, last_uid: int) -> None:
        """Move the cursor forward (never backward) within the same UIDVALIDITY."""
        with self._tx() as c:
            c.execute("UPDATE cursor SET last_uid = MAX(last_uid, ?) WHERE mailbox = ? AND uidvalidity = ?",
                      (last_uid, mailbox, uidvalidity))

    def touch_poll(self, mailbox: str) -> None:
        with self._tx() as c:
            c.execute("UPDATE cursor SET last_poll = ? WHERE mailbox = ?", (self.clock(), mailbox))

    # ------------------------------------------------------------------ messages
    def _row(self, message_id: str) -> MessageRow | None:
        rows = self._query(
            "SELECT message_id, mailbox, uidvalidity, uid, status, reason, codes, destination, filed_at "
            "FROM message WHERE message_id = ?", (message_id,))
        if not rows:
            return None
        r = rows[0]
        return MessageRow(r[0], r[1], r[2], r[3], r[4], r[5], tuple(r[6].split()), r[7], r[8] is not None)

    def message(self, message_id: str) -> MessageRow | None:
        return self._row(message_id)

    def claim(self, message_id: str, mailbox: str, uidvalidity: int, uid: int, *, size: int | None = None) -> Claim:
        """Take the message for this process, atomically. See `Claim` for the answers."""
        now = self.clock()
        with self._tx() as c:
            inserted = c.execute(
                "INSERT INTO message (message_id, mailbox, uidvalidity, uid, status, size, owner, "
                "claimed_at, created_at, updated_at) VALUES (?, ?, ?, ?, 'claimed', ?, ?, ?, ?, ?) "
                "ON CONFLICT(message_id) DO NOTHING",
                (message_id, mailbox, uidvalidity, uid, size, self.owner, now, now, now)).rowcount
            if inserted == 1:
                return Claim("new", None)
            status, owner, claimed_at, filed_at = c.execute(
                "SELECT status, owner, claimed_at, filed_at FROM message WHERE message_id = ?",
                (message_id,)).fetchone()
            if filed_at is not None:
                action = "done"
            else:
                held = (owner is not None and owner != self.owner and claimed_at is not None
                        and now - claimed_at < self.lease_seconds and _owner_alive(owner))
                if held:
                    action = "busy"
                else:
                    action = "new" if status == CLAIMED else "resume"
                    c.execute("UPDATE message SET owner = ?, claimed_at = ?, mailbox = ?, uidvalidity = ?, "
                              "uid = ?, updated_at = ? WHERE message_id = ?",
                              (self.owner, now, mailbox, uidvalidity, uid, now, message_id))
        return Claim(action, self._row(message_id))

    def release(self, message_id: str) -> None:
        """Give a claim back without an outcome (e.g. the fetch failed: try again next pass)."""
        with self._tx() as c:
            c.execute("DELETE FROM message WHERE message_id = ? AND status = 'claimed' AND owner = ?",
                      (message_id, self.owner))

    def record_outcome(self, message_id: str, *, status: str, reason: str | None = None,
                       codes: Iterable[str] = (), raw: bytes | None = None, sender: str | None = None,
                       destination: str | None = None, outgoing: Sequence[Outgoing] = (),
                       taken: bool = False) -> bool:
        """Record the decision and queue its mails, in ONE transaction, before anything is sent.

        With mails queued the status is stored as `waiting` until they are sent; `status` is
        then what it becomes (answered or escalated). `taken`: the message came from the shared
        work queue; nothing is recorded (False) unless this process still holds it there, so a
        worker that stalled past its lease never queues a second reply.
        """
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        now = self.clock()
        final = status
        stored = WAITING if outgoing else status
        with self._tx() as c:
            if taken and c.execute("DELETE FROM work WHERE message_id = ? AND taker = ?",
                                   (message_id, self.owner)).rowcount != 1:
                return False
            c.execute(
                "UPDATE message SET status = ?, final_status = ?, reason = ?, codes = ?, body_hash = ?, "
                "body = ?, sender_key = ?, destination = ?, updated_at = ? WHERE message_id = ?",
                (stored, final, reason, " ".join(dict.fromkeys(codes)),
                 body_hash(raw) if raw is not None else None,
                 raw if (raw is not None and self.keep_bodies) else None,
                 sender_key(sender) if sender else None, destination, now, message_id))
            for mail in outgoing:
                c.execute(
                    "INSERT INTO outbox (case_message_id, message_id, kind, mail_from, recipients, raw, "
                    "next_attempt, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT(message_id) DO NOTHING",
                    (message_id, mail.message_id, mail.kind, mail.mail_from, json.dumps(list(mail.recipients)),
                     mail.raw, now, now))
            if sender and outgoing:
                c.execute("INSERT INTO sender_event (sender_key, at) VALUES (?, ?)", (sender_key(sender), now))
        return True

    # ------------------------------------------------------------------ shared analysis
    def queue_work(self, message_id: str, mailbox: str, raw: bytes) -> None:
        """Leave a claimed, fetched message for whichever instance's worker is free: the watcher
        of a mailbox only reads it, so several instances answer one mailbox's mail together."""
        with self._tx() as c:
            c.execute("INSERT INTO work (message_id, mailbox, raw, queued_at) VALUES (?, ?, ?, ?) "
                      "ON CONFLICT(message_id) DO NOTHING", (message_id, mailbox, raw, self.clock()))

    def take_work(self, mailbox: str, seconds: float = WORK_LEASE_SECONDS) -> Work | None:
        """The oldest queued message of `mailbox` nobody holds (or whose holder's lease ran out
        or died on this host), now held by this process for `seconds`; None when there is none."""
        now = self.clock()
        with self._tx() as c:
            rows = c.execute("SELECT message_id, taker, taken_until FROM work WHERE mailbox = ? "
                             "ORDER BY queued_at LIMIT 64", (mailbox,)).fetchall()
            free = next((r[0] for r in rows if r[1] is None or r[2] < now
                         or (r[1] != self.owner and not _owner_alive(r[1]))), None)
            if free is None:
                return None
            c.execute("UPDATE work SET taker = ?, taken_until = ? WHERE message_id = ?",
                      (self.owner, now + seconds, free))
            raw, uid = c.execute("SELECT w.raw, COALESCE(m.uid, 0) FROM work w LEFT JOIN message m "
                                 "ON m.message_id = w.message_id WHERE w.message_id = ?", (free,)).fetchone()
        return Work(free, mailbox, int(uid), bytes(raw))

    def give_back_work(self, message_id: str) -> None:
        """A worker could not finish (e.g. a full volume): another takes the message at once."""
        with self._tx() as c:
            c.execute("UPDATE work SET taker = NULL, taken_until = NULL WHERE message_id = ? AND taker = ?",
                      (message_id, self.owner))

    def queued_work(self, mailbox: str) -> int:
        """Messages of `mailbox` waiting for (or being analysed by) a worker."""
        return int(self._query("SELECT COUNT(*) FROM work WHERE mailbox = ?", (mailbox,))[0][0])

    def open_work(self, mailbox: str) -> int:
        """Messages of `mailbox` read but not yet filed: queued, being answered, or answered by
        some instance and waiting for the watcher to file them."""
        return int(self._query("SELECT COUNT(*) FROM message WHERE mailbox = ? AND filed_at IS NULL",
                               (mailbox,))[0][0])

    def queue(self, case_message_id: str, mail: Outgoing) -> None:
        """Queue one more mail for a case (e.g. a notice to a human); sent like any reply."""
        now = self.clock()
        with self._tx() as c:
            c.execute("INSERT INTO outbox (case_message_id, message_id, kind, mail_from, recipients, raw, "
                      "next_attempt, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(message_id) DO NOTHING",
                      (case_message_id, mail.message_id, mail.kind, mail.mail_from,
                       json.dumps(list(mail.recipients)), mail.raw, now, now))

    def set_status(self, message_id: str, status: str, reason: str | None = None,
                   destination: str | None = None) -> None:
        with self._tx() as c:
            c.execute("UPDATE message SET status = ?, reason = COALESCE(?, reason), "
                      "destination = COALESCE(?, destination), updated_at = ? WHERE message_id = ?",
                      (status, reason, destination, self.clock(), message_id))

    def mark_filed(self, message_id: str) -> None:
        """The original is flagged and moved: nothing more to do in IMAP for it. The bytes of
        its finished mails are blanked unless `keep_bodies` (they hold patient text)."""
        now = self.clock()
        with self._tx() as c:
            c.execute("UPDATE message SET filed_at = ?, owner = NULL, filing_owner = NULL, filing_until = NULL, "
                      "updated_at = ? WHERE message_id = ?", (now, now, message_id))
            if not self.keep_bodies:
                c.execute("UPDATE outbox SET raw = X'' WHERE case_message_id = ? AND "
                          "(sent_at IS NOT NULL OR failed_at IS NOT NULL)", (message_id,))

    def claim_filing(self, message_id: str, seconds: float = FILING_LEASE_SECONDS) -> bool:
        """Take the filing of one decided message for this process (like `claim` for answering):
        False when it is filed already or another live process is filing it."""
        now = self.clock()
        with self._tx() as c:
            row = c.execute("SELECT filed_at, filing_owner, filing_until FROM message WHERE message_id = ?",
                            (message_id,)).fetchone()
            if row is None or row[0] is not None:
                return False
            owner, until = row[1], row[2]
            if (owner is not None and owner != self.owner and until is not None and until > now
                    and _owner_alive(owner)):
                return False
            c.execute("UPDATE message SET filing_owner = ?, filing_until = ? WHERE message_id = ?",
                      (self.owner, now + seconds, message_id))
        return True

    def release_filing(self, message_id: str) -> None:
        """Give the filing back (it failed; this or another process tries again later)."""
        with self._tx() as c:
            c.execute("UPDATE message SET filing_owner = NULL, filing_until = NULL WHERE message_id = ? "
                      "AND filing_owner = ?", (message_id, self.owner))

    def mark_copying(self, outbox_id: int) -> None:
        """An APPEND to Sent is about to start (stored as a negative time until it is done)."""
        with self._tx() as c:
            c.execute("UPDATE outbox SET copied_at = ? WHERE id = ? AND copied_at IS NULL",
                      (-self.clock(), outbox_id))

    def mark_copied(self, outbox_id: int) -> None:
        """The reply is in the Sent folder (so a retried filing does not copy it twice)."""
        with self._tx() as c:
            c.execute("UPDATE outbox SET copied_at = ? WHERE id = ?", (self.clock(), outbox_id))

    def scrub(self) -> None:
        """Fold the WAL into the database and truncate it, so blanked bytes are gone from both
        files; then give free pages back to the volume."""
        with self._lock:
            try:
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as e:          # busy with another process: the next pass does it
                log.debug("state checkpoint skipped: %s", e)
        self.reclaim()

    def reclaim(self, min_free_pages: int = 64) -> int:
        """`PRAGMA incremental_vacuum`: return free pages to the volume once there are at least
        `min_free_pages` of them (a no-op on a file without incremental auto-vacuum). Returns
        the pages given back; never raises (a busy or full file is tried again later)."""
        with self._lock:
            try:
                free = int(self._conn.execute("PRAGMA freelist_count").fetchone()[0])
                if free < min_free_pages or self._conn.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:
                    return 0
                self._conn.executescript("PRAGMA incremental_vacuum;")   # execute() frees one page per step
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                after = int(self._conn.execute("PRAGMA freelist_count").fetchone()[0])
            except sqlite3.Error as e:
                log.debug("state vacuum skipped: %s", e)
                return 0
        if free - after:
            log.debug("state database: %d free pages given back to the volume", free - after)
        return free - after

    @property
    def reserve_path(self) -> Path:
        return self.path.with_name(self.path.name + ".reserve")

    def keep_reserve(self, size: int = RESERVE_BYTES) -> bool:
        """Make sure the reserve is set aside: ballast rows inside the file, and `size` bytes
        next to it (allocated, not sparse). False when it does not fit (the volume is still
        full); never raises."""
        try:
            with self._tx() as c:
                c.execute(_BALLAST)
                if c.execute("SELECT COUNT(*) FROM ballast").fetchone()[0] < BALLAST_ROWS:
                    c.execute("DELETE FROM ballast")
                    c.executemany("INSERT INTO ballast (pad) VALUES (zeroblob(?))",
                                  [(BALLAST_ROW_BYTES,)] * BALLAST_ROWS)
        except StateError as e:
            log.debug("state ballast not made: %s", e)
            return False
        if str(self.path) == ":memory:":
            return True
        target = self.reserve_path
        try:
            if target.stat().st_size >= size:
                return True
        except OSError:
            pass
        try:
            with open(target, "wb", buffering=0) as f:
                try:
                    os.posix_fallocate(f.fileno(), 0, size)
                except OSError as e:
                    if e.errno not in (errno.EOPNOTSUPP, errno.EINVAL):
                        raise
                    block = b"\0" * (1 << 20)
                    for _ in range(0, size, len(block)):
                        f.write(block)
            return True
        except OSError as e:
            target.unlink(missing_ok=True)
            log.debug("state reserve %s not made: %s", target, e)
            return False

    def release_reserve(self) -> bool:
        """Give the reserve back (the volume is full): the file to the volume first (room for
        the WAL), then the ballast's pages to the file. True when there was any."""
        released = False
        try:
            self.reserve_path.unlink()
            released = True
        except OSError:
            pass
        with self._lock:
            try:
                self._conn.execute(_BALLAST)
                released = self._conn.execute("DELETE FROM ballast").rowcount > 0 or released
            except sqlite3.Error as e:
                log.debug("state ballast not released: %s", e)
        return released

    def checkpoint(self) -> None:
        """Fold the WAL into the database (PASSIVE), so the next writes reuse the WAL from its
        start instead of growing it (on a full volume). Never raises."""
        with self._lock:
            try:
                self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.Error as e:
                log.debug("state checkpoint skipped: %s", e)

    def note_volume_full(self, since: float | None) -> None:
        """Record (or clear) that the volume was found full, for `consultant status`. An update
        in place of a row made at creation, so it usually fits even on a full volume; best effort."""
        with self._lock:
            try:
                self._conn.execute("UPDATE health SET since = ? WHERE key = 'volume_full'", (since,))
            except sqlite3.Error as e:
                log.debug("state health not recorded: %s", e)

    def unfiled(self) -> list[MessageRow]:
        """Decided messages whose mails are all sent (or failed) but which are not filed yet."""
        ids = [r[0] for r in self._query(
            "SELECT m.message_id FROM message m WHERE m.filed_at IS NULL AND m.status != 'claimed' "
            "AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.case_message_id = m.message_id "
            "AND o.sent_at IS NULL AND o.failed_at IS NULL) ORDER BY m.created_at")]
        return [row for mid in ids if (row := self._row(mid)) is not None]

    def codes_for_thread(self, message_ids: Iterable[str]) -> tuple[str, ...]:
        """Codes already found earlier in a thread (by References / In-Reply-To ids).

        Our own replies' Message-IDs count too: a follow-up usually references the reply.
        """
        ids = [m for m in dict.fromkeys(message_ids) if m]
        if not ids:
            return ()
        marks = ",".join("?" * len(ids))
        rows = self._query(
            f"SELECT codes FROM message WHERE message_id IN ({marks}) OR message_id IN "
            f"(SELECT case_message_id FROM outbox WHERE message_id IN ({marks})) ORDER BY created_at",
            [*ids, *ids])
        out: dict[str, None] = {}
        for (codes,) in rows:
            for code in codes.split():
                out[code] = None
        return tuple(out)

    def recent_replies(self, sender: str, window_seconds: float = 3600.0) -> int:
        """Replies queued to this sender within the window (for rate_limit_per_hour)."""
        rows = self._query("SELECT COUNT(*) FROM sender_event WHERE sender_key = ? AND at > ?",
                           (sender_key(sender), self.clock() - window_seconds))
        return int(rows[0][0])

    # ------------------------------------------------------------------ outbox
    def _free_dead_leases(self) -> None:
        """A lease held by a process that died (same host, pid gone) is given up at once,
        not after it expires: a restarted daemon sends the reply without a 2-minute stall."""
        now = self.clock()
        held = self._query("SELECT id, lease_owner FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL "
                           "AND lease_until >= ? AND lease_owner IS NOT NULL AND lease_owner != ?",
                           (now, self.owner))
        dead = [i for i, owner in held if not _owner_alive(owner)]
        if dead:
            with self._tx() as c:
                c.executemany("UPDATE outbox SET lease_until = NULL WHERE id = ?", [(i,) for i in dead])

    def due_outbox(self, limit: int = 50, mailbox: str | None = None) -> list[OutboxRow]:
        """Queued mails due now (of one mailbox's cases when `mailbox` is given: each mailbox
        sends through its own SMTP account)."""
        self._free_dead_leases()
        now = self.clock()
        rows = self._query(
            "SELECT id, case_message_id, message_id, kind, mail_from, recipients, raw, attempts FROM outbox "
            "WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt <= ? "
            "AND (lease_until IS NULL OR lease_until < ?)" + _OF_MAILBOX * (mailbox is not None)
            + " ORDER BY next_attempt, id LIMIT ?",
            (now, now, *((mailbox,) if mailbox is not None else ()), limit))
        return [OutboxRow(r[0], r[1], r[2], r[3], r[4], tuple(json.loads(r[5])), r[6], r[7]) for r in rows]

    def outbox_for(self, case_message_id: str) -> list[OutboxRow]:
        rows = self._query(
            "SELECT id, case_message_id, message_id, kind, mail_from, recipients, raw, attempts, "
            "COALESCE(copied_at, 0) FROM outbox WHERE case_message_id = ? ORDER BY id", (case_message_id,))
        return [OutboxRow(r[0], r[1], r[2], r[3], r[4], tuple(json.loads(r[5])), r[6], r[7], r[8] > 0, r[8] < 0)
                for r in rows]

    def next_outbox_due(self, mailbox: str | None = None) -> float | None:
        self._free_dead_leases()
        rows = self._query("SELECT MIN(MAX(next_attempt, COALESCE(lease_until, 0))) FROM outbox "
                           "WHERE sent_at IS NULL AND failed_at IS NULL" + _OF_MAILBOX * (mailbox is not None),
                           (mailbox,) if mailbox is not None else ())
        due: float | None = rows[0][0]
        return due

    def lease_outbox(self, outbox_id: int, seconds: float = 120.0) -> str | None:
        """Take one queued mail for sending: "new", or "in-doubt" when an earlier attempt was cut
        off before its result was recorded (see the module doc); None when another process has
        it or it is done."""
        now = self.clock()
        with self._tx() as c:
            row = c.execute("SELECT lease_owner FROM outbox WHERE id = ? AND sent_at IS NULL AND failed_at IS NULL "
                            "AND (lease_until IS NULL OR lease_until < ?)", (outbox_id, now)).fetchone()
            if row is None:
                return None
            c.execute("UPDATE outbox SET lease_until = ?, lease_owner = ?, attempts = attempts + 1 WHERE id = ?",
                      (now + seconds, self.owner, outbox_id))
        return "new" if row[0] is None else "in-doubt"

    def mark_sent(self, outbox_id: int) -> None:
        now = self.clock()
        with self._tx() as c:
            # the recipients are not needed once the mail is out (privacy: no addresses kept)
            c.execute("UPDATE outbox SET sent_at = ?, lease_until = NULL, lease_owner = NULL, last_error = NULL, "
                      "recipients = '[]' WHERE id = ?", (now, outbox_id))
            case_id = c.execute("SELECT case_message_id FROM outbox WHERE id = ?", (outbox_id,)).fetchone()[0]
            pending = c.execute("SELECT COUNT(*) FROM outbox WHERE case_message_id = ? AND sent_at IS NULL "
                                "AND failed_at IS NULL", (case_id,)).fetchone()[0]
            if pending == 0:
                c.execute("UPDATE message SET status = COALESCE(final_status, 'answered'), updated_at = ? "
                          "WHERE message_id = ? AND status = 'waiting'", (now, case_id))

    def mark_retry(self, outbox_id: int, error: str, delay: float) -> None:
        with self._tx() as c:
            c.execute("UPDATE outbox SET next_attempt = ?, lease_until = NULL, lease_owner = NULL, last_error = ? "
                      "WHERE id = ?",
                      (self.clock() + delay, error[:500], outbox_id))

    def mark_undeliverable(self, outbox_id: int, error: str) -> str:
        """A 5xx: never retried; the case becomes failed. Returns the case's Message-ID."""
        now = self.clock()
        with self._tx() as c:
            c.execute("UPDATE outbox SET failed_at = ?, lease_until = NULL, lease_owner = NULL, last_error = ? "
                      "WHERE id = ?",
                      (now, error[:500], outbox_id))
            case_id = c.execute("SELECT case_message_id FROM outbox WHERE id = ?", (outbox_id,)).fetchone()[0]
            c.execute("UPDATE message SET status = 'failed', reason = ?, updated_at = ? WHERE message_id = ?",
                      (f"undeliverable: {error[:200]}", now, case_id))
        return str(case_id)

    # ------------------------------------------------------------------ reporting, retention
    def summary(self) -> Summary:
        counts = dict.fromkeys(STATUSES, 0)
        by_mailbox: dict[str, dict[str, int]] = {}
        for mailbox, status, n in self._query("SELECT mailbox, status, COUNT(*) FROM message GROUP BY mailbox, status"):
            counts[status] += n
            by_mailbox.setdefault(mailbox, dict.fromkeys(STATUSES, 0))[status] = n
        polls = {m: p for m, p in self._query("SELECT mailbox, last_poll FROM cursor")}
        pending, oldest = self._query(
            "SELECT COUNT(*), MIN(created_at) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL")[0]
        failed = self._query("SELECT COUNT(*) FROM outbox WHERE failed_at IS NOT NULL")[0][0]
        full = self._query("SELECT since FROM health WHERE key = 'volume_full'")
        file_bytes, free_bytes, vacuum = self._storage()
        return Summary(counts, polls, pending, oldest, failed, volume_full_since=full[0][0] if full else None,
                       file_bytes=file_bytes, free_bytes=free_bytes, auto_vacuum=vacuum,
                       by_mailbox=by_mailbox, watchers=self.watchers(),
                       queued_work={m: n for m, n in self._query("SELECT mailbox, COUNT(*) FROM work GROUP BY mailbox")})

    def _storage(self) -> tuple[int, int, str]:
        """(bytes of the state file, of which free, the auto-vacuum mode) for `status`."""
        page, pages, free, vacuum = (self._query(f"PRAGMA {p}")[0][0]
                                     for p in ("page_size", "page_count", "freelist_count", "auto_vacuum"))
        return page * pages, page * free, {0: "none", 1: "full", 2: "incremental"}.get(vacuum, str(vacuum))

    def purge(self, retention_days: float) -> dict[str, int]:
        """Delete finished data older than the retention period; returns rows deleted per table."""
        cutoff = self.clock() - retention_days * 86400
        with self._tx() as c:
            out = {
                "outbox": c.execute("DELETE FROM outbox WHERE (sent_at IS NOT NULL AND sent_at < ?) OR "
                                    "(failed_at IS NOT NULL AND failed_at < ?)", (cutoff, cutoff)).rowcount,
                "message": c.execute(
                    "DELETE FROM message WHERE updated_at < ? AND (filed_at IS NOT NULL OR status IN "
                    "('skipped', 'failed')) AND NOT EXISTS (SELECT 1 FROM outbox o WHERE "
                    "o.case_message_id = message.message_id)", (cutoff,)).rowcount,
                # rate-limit events are only needed for the last hour
                "sender_event": c.execute("DELETE FROM sender_event WHERE at < ?",
                                          (min(cutoff, self.clock() - 86400),)).rowcount,
                # whatever its age, a mail that is out needs no recipient addresses any more
                "recipients": c.execute("UPDATE outbox SET recipients = '[]' WHERE recipients != '[]' AND "
                                        "(sent_at IS NOT NULL OR failed_at IS NOT NULL)").rowcount,
            }
        with self._lock:
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.reclaim(min_free_pages=1)
        return out

    # ------------------------------------------------------------------ answer limits (issue 9)
    # Rate limits and loop stops (consultant.mail.limits). Their tables (schema version 4):
    # `exchange` holds one row per answer queued (hashes and Message-IDs, no addresses or text),
    # `exchange_stop` when each stop was last logged (so a loop is reported once, not per mail).

    def admit_exchange(self, ex: Exchange, limits: ExchangeLimits) -> Stop | None:
        """Count the history around one answer and, if no limit stops it, record it: ONE
        transaction, so two processes cannot both take the last place under a limit.

        A Stop comes back with `first` True only the first time its scope stops within its
        window (log it as a WARNING then, at DEBUG after)."""
        now = self.clock()
        window = limits.loop_window_seconds
        since, hour_ago = now - window, now - 3600.0
        with self._tx() as c:
            c.execute("DELETE FROM exchange WHERE at < ?", (min(since, hour_ago),))
            if c.execute("SELECT 1 FROM exchange WHERE case_message_id = ?", (ex.case_message_id,)).fetchone():
                return None         # admitted before (its outcome was not recorded then): counted once
            thread = ex.thread_root
            if ex.refers_to:
                marks = ",".join("?" * len(ex.refers_to))
                known = c.execute(f"SELECT thread_key FROM exchange WHERE case_message_id IN ({marks}) OR "
                                  f"reply_message_id IN ({marks}) ORDER BY at LIMIT 1",
                                  [*ex.refers_to, *ex.refers_to]).fetchone()
                if known is not None:
                    thread = known[0]

            def count(where: str, *args: object) -> int:
                return int(c.execute(f"SELECT COUNT(*) FROM exchange WHERE {where}", args).fetchone()[0])

            recent = c.execute("SELECT reply_runs FROM exchange WHERE (correspondent_key = ? OR thread_key = ?) "
                               "AND at > ? ORDER BY at DESC LIMIT 3", (ex.correspondent_key, thread, since)).fetchall()
            mine = set(ex.text_runs)
            echo_runs, echo_share = 0, 0.0
            for (runs_,) in recent:
                theirs = set(runs_.split())
                if theirs and mine:
                    found = len(theirs & mine)
                    if found / len(theirs) > echo_share:
                        echo_runs, echo_share = found, found / len(theirs)
            history = History(
                thread_replies=count("thread_key = ? AND at > ?", thread, since),
                followups=count("correspondent_key = ? AND followup = 1 AND at > ?", ex.correspondent_key, since),
                same_text=count("correspondent_key = ? AND text_key = ? AND at > ?", ex.correspondent_key,
                                ex.text_key, since),
                echo_runs=echo_runs,
                echo_share=echo_share,
                correspondent_hour=count("correspondent_key = ? AND at > ?", ex.correspondent_key, hour_ago),
                domain_hour=count("domain_key = ? AND at > ?", ex.domain_key, hour_ago),
                total_hour=count("at > ?", hour_ago),
            )
            stop = decide(ex, history, limits, thread)
            if stop is None:
                c.execute("INSERT INTO exchange (at, case_message_id, reply_message_id, thread_key, "
                          "correspondent_key, domain_key, followup, text_key, reply_runs) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          (now, ex.case_message_id, ex.reply_message_id, thread, ex.correspondent_key,
                           ex.domain_key, int(ex.followup), ex.text_key, " ".join(ex.reply_runs)))
                return None
            last = c.execute("SELECT at FROM exchange_stop WHERE scope = ?", (stop.scope,)).fetchone()
            first = last is None or last[0] < now - stop.window_seconds
            if first:
                c.execute("INSERT INTO exchange_stop (scope, at) VALUES (?, ?) "
                          "ON CONFLICT(scope) DO UPDATE SET at = excluded.at", (stop.scope, now))
            c.execute("DELETE FROM exchange_stop WHERE at < ?", (now - max(window, 3600.0) * 2,))
        return replace(stop, first=first)

    # ------------------------------------------------------------------ one watcher per mailbox
    def hold_watch(self, mailbox: str, seconds: float, limit: int | None = None) -> bool:
        """Take or renew the right to watch `mailbox` for `seconds`. True while this process holds
        it; False while another live process does. A lease that ran out, or whose owner died on
        this host, is taken over — so a standby instance takes a dead one's mailboxes within one
        lease period, and one mailbox is never watched from two places at once. `limit`: a free
        mailbox is not taken while this process already watches that many others (its fair share:
        the rest are left to the other instances)."""
        now = self.clock()
        with self._tx() as c:
            row = c.execute("SELECT owner, lease_until FROM watcher WHERE mailbox = ?", (mailbox,)).fetchone()
            if row is not None and row[0] != self.owner and row[1] >= now and _owner_alive(row[0]):
                return False
            if limit is not None and (row is None or row[0] != self.owner):
                held = c.execute("SELECT COUNT(*) FROM watcher WHERE owner = ? AND lease_until >= ? AND mailbox != ?",
                                 (self.owner, now, mailbox)).fetchone()[0]
                if held >= limit:
                    return False
            if row is None:
                c.execute("INSERT INTO watcher (mailbox, owner, since, lease_until) VALUES (?, ?, ?, ?)",
                          (mailbox, self.owner, now, now + seconds))
            elif row[0] == self.owner:
                c.execute("UPDATE watcher SET lease_until = ? WHERE mailbox = ?", (now + seconds, mailbox))
            else:
                c.execute("UPDATE watcher SET owner = ?, since = ?, lease_until = ? WHERE mailbox = ?",
                          (self.owner, now, now + seconds, mailbox))
                log.warning("mailbox %s: taking over from %s (its lease ran out or it died)", mailbox, row[0])
        return True

    def note_instance(self, seconds: float) -> int:
        """Say this process is alive for `seconds` (a heartbeat); returns how many instances are
        alive now, this one included (the fair share of mailboxes is counted from it)."""
        now = self.clock()
        with self._tx() as c:
            c.execute("INSERT INTO instance (owner, seen_until) VALUES (?, ?) "
                      "ON CONFLICT(owner) DO UPDATE SET seen_until = excluded.seen_until", (self.owner, now + seconds))
            rows = c.execute("SELECT owner FROM instance WHERE seen_until >= ?", (now,)).fetchall()
            c.execute("DELETE FROM instance WHERE seen_until < ?", (now - 3600,))
        return max(1, sum(1 for (owner,) in rows if owner == self.owner or _owner_alive(owner)))

    def watched_by_me(self) -> list[str]:
        """The mailboxes this process holds the lease of, in name order."""
        now = self.clock()
        return [m for (m,) in self._query("SELECT mailbox FROM watcher WHERE owner = ? AND lease_until >= ? "
                                          "ORDER BY mailbox", (self.owner, now))]

    def drop_watch(self, mailbox: str) -> None:
        """Give the mailbox up at a clean stop, so a standby instance takes it at once."""
        with self._tx() as c:
            c.execute("DELETE FROM watcher WHERE mailbox = ? AND owner = ?", (mailbox, self.owner))

    def watchers(self) -> dict[str, tuple[str, float]]:
        """mailbox -> (owner host:pid, lease end) for `consultant status`."""
        return {m: (o, u) for m, o, u in self._query("SELECT mailbox, owner, lease_until FROM watcher ORDER BY mailbox")}
