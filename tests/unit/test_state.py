"""The ledger: atomic claims, UIDVALIDITY resets, outbox before send, thread codes, retention."""

from __future__ import annotations

import socket
import sqlite3
import threading
from pathlib import Path

import pytest

from consultant.state import (
    ANSWERED,
    ESCALATED,
    FAILED,
    SCHEMA_VERSION,
    SKIPPED,
    WAITING,
    Ledger,
    Outgoing,
)


class Clock:
    def __init__(self, t: float = 1_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture()
def clock() -> Clock:
    return Clock()


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    return tmp_path / "state.sqlite"


def reply(mid: str = "<r1@bot.example>", kind: str = "reply") -> Outgoing:
    return Outgoing(mid, kind, "bot@bot.example", ("coder@clinic.example",), b"Subject: Re: x\r\n\r\nhi\r\n")


def test_claim_twice_one_winner(db: Path, clock: Clock) -> None:
    a = Ledger(db, clock=clock, owner="other-host-a:1")
    b = Ledger(db, clock=clock, owner="other-host-b:2")
    assert a.claim("<m1@x>", "INBOX", 7, 1).action == "new"
    assert b.claim("<m1@x>", "INBOX", 7, 1).action == "busy"
    assert a.message("<m1@x>").status == "claimed"


def test_concurrent_claims_from_two_connections(db: Path, clock: Clock) -> None:
    ledgers = [Ledger(db, clock=clock, owner=f"h{i}.invalid:{i}") for i in range(2)]
    won: list[list[str]] = [[], []]
    ids = [f"<m{i}@x>" for i in range(200)]

    def worker(i: int) -> None:
        for mid in ids:
            if ledgers[i].claim(mid, "INBOX", 1, 1).action == "new":
                won[i].append(mid)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(won[0] + won[1]) == sorted(ids)          # each exactly once
    assert not set(won[0]) & set(won[1])


def test_dead_owner_on_this_host_is_taken_over(db: Path, clock: Clock) -> None:
    dead = Ledger(db, clock=clock, owner=f"{socket.gethostname()}:{2**22 + 12345}")
    assert dead.claim("<m@x>", "INBOX", 1, 5).action == "new"
    me = Ledger(db, clock=clock)
    assert me.claim("<m@x>", "INBOX", 1, 5).action == "new"        # still only 'claimed': consult again


def test_expired_lease_of_other_host(db: Path, clock: Clock) -> None:
    other = Ledger(db, clock=clock, owner="elsewhere.invalid:1", lease_seconds=300)
    me = Ledger(db, clock=clock, lease_seconds=300)
    other.claim("<m@x>", "INBOX", 1, 5)
    clock.t += 100
    assert me.claim("<m@x>", "INBOX", 1, 5).action == "busy"
    clock.t += 300
    assert me.claim("<m@x>", "INBOX", 1, 5).action == "new"


def test_uidvalidity_change_dedups_by_message_id(db: Path, clock: Clock) -> None:
    led = Ledger(db, clock=clock)
    assert led.start_after("INBOX", 100) == 0
    assert led.claim("<a@x>", "INBOX", 100, 1).action == "new"
    led.record_outcome("<a@x>", status=ANSWERED, raw=b"x", outgoing=[reply()])
    led.mark_sent(led.due_outbox()[0].id)
    led.mark_filed("<a@x>")
    led.advance("INBOX", 100, 1)
    assert led.start_after("INBOX", 100) == 1
    # the server renumbered the mailbox: search again from 0, the same Message-ID is done
    assert led.start_after("INBOX", 200) == 0
    assert led.cursor("INBOX") == (200, 0)
    claim = led.claim("<a@x>", "INBOX", 200, 9)
    assert claim.action == "done" and claim.row.status == ANSWERED
    assert led.claim("<b@x>", "INBOX", 200, 10).action == "new"
    led.advance("INBOX", 100, 50)                   # stale uidvalidity: ignored
    assert led.cursor("INBOX") == (200, 0)


def test_outbox_recorded_before_send_then_filed(db: Path, clock: Clock) -> None:
    led = Ledger(db, clock=clock, owner=f"{socket.gethostname()}:{2**22 + 1}")   # "killed" later
    led.claim("<c@x>", "INBOX", 1, 3)
    led.record_outcome("<c@x>", status=ESCALATED, codes=["44320", "44140", "44320"], raw=b"raw",
                       sender="Coder@Clinic.example", destination="Processed",
                       outgoing=[reply("<r@b>"), reply("<e@b>", "escalation")])
    row = led.message("<c@x>")
    assert row.status == WAITING and row.codes == ("44320", "44140")
    due = led.due_outbox()
    assert [d.kind for d in due] == ["reply", "escalation"] and due[0].raw.startswith(b"Subject")
    assert led.unfiled() == []                       # mails pending: not to be filed yet
    # a crash here and a restart: the claim resumes (send + file), it does not consult again
    other = Ledger(db, clock=clock)
    assert other.claim("<c@x>", "INBOX", 1, 3).action == "resume"
    assert Ledger(db, clock=clock, owner="elsewhere.invalid:1").claim("<c@x>", "INBOX", 1, 3).action == "busy"
    assert led.lease_outbox(due[0].id) and not other.lease_outbox(due[0].id)
    led.mark_sent(due[0].id)
    assert led.message("<c@x>").status == WAITING
    assert led.lease_outbox(due[1].id)
    led.mark_sent(due[1].id)
    assert led.message("<c@x>").status == ESCALATED
    assert [r.message_id for r in led.unfiled()] == ["<c@x>"]
    led.mark_filed("<c@x>")
    assert led.unfiled() == [] and led.claim("<c@x>", "INBOX", 1, 3).action == "done"
    assert led.recent_replies("coder@clinic.example") == 1


def test_retry_and_undeliverable(db: Path, clock: Clock) -> None:
    led = Ledger(db, clock=clock)
    led.claim("<d@x>", "INBOX", 1, 4)
    led.record_outcome("<d@x>", status=ANSWERED, outgoing=[reply("<r2@b>")])
    (row,) = led.due_outbox()
    assert led.lease_outbox(row.id)
    led.mark_retry(row.id, "421 try later", delay=30)
    assert led.due_outbox() == [] and led.next_outbox_due() == clock.t + 30
    clock.t += 31
    (row,) = led.due_outbox()
    assert row.attempts == 1 and led.lease_outbox(row.id)
    assert led.mark_undeliverable(row.id, "550 no such user") == "<d@x>"
    assert led.message("<d@x>").status == FAILED and led.due_outbox() == []
    assert led.summary().failed_outbox == 1


def test_bodies_kept_only_when_asked(db: Path, clock: Clock, tmp_path: Path) -> None:
    for keep, path in ((False, db), (True, tmp_path / "keep.sqlite")):
        led = Ledger(path, clock=clock, keep_bodies=keep)
        led.claim("<e@x>", "INBOX", 1, 1)
        led.record_outcome("<e@x>", status=SKIPPED, reason="auto-reply", raw=b"secret body")
        led.close()
        body, digest = sqlite3.connect(path).execute("SELECT body, body_hash FROM message").fetchone()
        assert (body == b"secret body") is keep and len(digest) == 64
    (mode,) = sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()
    assert mode == "wal"


def test_codes_for_thread_follows_our_reply_ids(db: Path, clock: Clock) -> None:
    led = Ledger(db, clock=clock)
    led.claim("<q1@clinic>", "INBOX", 1, 1)
    led.record_outcome("<q1@clinic>", status=ANSWERED, codes=["44320", "C18.7"], outgoing=[reply("<ans1@bot>")])
    led.claim("<q2@clinic>", "INBOX", 1, 2)
    led.record_outcome("<q2@clinic>", status=ANSWERED, codes=["99213", "44320"])
    assert led.codes_for_thread(["<ans1@bot>"]) == ("44320", "C18.7")
    assert led.codes_for_thread(["<q1@clinic>", "<q2@clinic>"]) == ("44320", "C18.7", "99213")
    assert led.codes_for_thread(["<unknown@x>"]) == () and led.codes_for_thread([]) == ()


def test_release_and_summary_and_purge(db: Path, clock: Clock) -> None:
    led = Ledger(db, clock=clock)
    led.start_after("INBOX", 1)
    led.touch_poll("INBOX")
    led.claim("<f@x>", "INBOX", 1, 1)
    led.release("<f@x>")
    assert led.message("<f@x>") is None
    led.claim("<g@x>", "INBOX", 1, 2)
    led.record_outcome("<g@x>", status=SKIPPED, reason="stranger")
    led.claim("<h@x>", "INBOX", 1, 3)
    led.record_outcome("<h@x>", status=ANSWERED, sender="c@x.example", outgoing=[reply("<r3@b>")])
    s = led.summary()
    assert s.counts[SKIPPED] == 1 and s.counts[WAITING] == 1 and s.pending_outbox == 1
    assert s.oldest_pending == clock.t and s.last_poll == {"INBOX": clock.t}
    clock.t += 10 * 86400
    assert led.purge(5) == {"outbox": 0, "message": 1, "sender_event": 1, "recipients": 0}
    assert led.message("<g@x>") is None and led.message("<h@x>") is not None   # still waiting: kept


def _queue_one(led: Ledger, mid: str = "<c@x>") -> int:
    led.claim(mid, "INBOX", 1, 1)
    led.record_outcome(mid, status=ANSWERED, outgoing=[Outgoing("<r@bot>", "reply", "bot@x", ("c@x",), b"raw")])
    return led.due_outbox()[0].id


def test_a_dead_senders_lease_is_freed_at_once_and_the_send_is_in_doubt(db: Path, clock: Clock) -> None:
    dead = Ledger(db, clock=clock, owner=f"{socket.gethostname()}:999999999")      # no such pid
    row_id = _queue_one(dead)
    assert dead.lease_outbox(row_id) == "new"          # ... and then it "died" mid-send
    dead.close()
    led = Ledger(db, clock=clock)
    assert [r.id for r in led.due_outbox()] == [row_id]   # not after the 120 s lease
    assert led.lease_outbox(row_id) == "in-doubt"
    led.mark_sent(row_id)
    assert led.due_outbox() == [] and led.next_outbox_due() is None


def test_a_live_senders_lease_is_respected(db: Path, clock: Clock) -> None:
    other = Ledger(db, clock=clock, owner="another-host:1")   # another host: only expiry frees it
    row_id = _queue_one(other)
    assert other.lease_outbox(row_id) == "new"
    led = Ledger(db, clock=clock)
    assert led.due_outbox() == [] and led.lease_outbox(row_id) is None
    clock.t += 121
    assert led.lease_outbox(row_id) == "in-doubt"


def test_retry_clears_the_doubt(db: Path, clock: Clock) -> None:
    led = Ledger(db, clock=clock)
    row_id = _queue_one(led)
    assert led.lease_outbox(row_id) == "new"
    led.mark_retry(row_id, "451 later", 1.0)
    clock.t += 1.5
    assert led.lease_outbox(row_id) == "new"


def test_reply_copied_to_sent_once(db: Path, clock: Clock) -> None:
    led = Ledger(db, clock=clock)
    row_id = _queue_one(led)
    assert led.outbox_for("<c@x>")[0].copied is False
    led.mark_copied(row_id)
    assert led.outbox_for("<c@x>")[0].copied is True


def test_schema_1_database_is_migrated(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.executescript("""
        CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, case_message_id TEXT NOT NULL,
            message_id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, mail_from TEXT NOT NULL, recipients TEXT NOT NULL,
            raw BLOB NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt REAL NOT NULL, lease_until REAL,
            created_at REAL NOT NULL, sent_at REAL, failed_at REAL, last_error TEXT);
        INSERT INTO outbox (case_message_id, message_id, kind, mail_from, recipients, raw, next_attempt, created_at)
            VALUES ('<c@x>', '<r@bot>', 'reply', 'bot@x', '["c@x"]', x'00', 0, 0);
        PRAGMA user_version = 1;""")
    conn.close()
    with Ledger(db) as led:
        (row,) = led.due_outbox()
        assert led.lease_outbox(row.id) == "new" and led.outbox_for("<c@x>")[0].copied is False
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 5
    conn.close()


def test_copy_to_sent_started_but_not_recorded_is_known(db: Path, clock: Clock) -> None:
    led = Ledger(db, clock=clock)
    row_id = _queue_one(led)
    led.mark_copying(row_id)
    out = led.outbox_for("<c@x>")[0]
    assert out.copy_started and not out.copied
    led.mark_copied(row_id)
    out = led.outbox_for("<c@x>")[0]
    assert out.copied and not out.copy_started


def test_one_watcher_per_mailbox_and_takeover_after_the_lease(db: Path, clock: Clock) -> None:
    a = Ledger(db, clock=clock, owner="host-a.invalid:1")
    b = Ledger(db, clock=clock, owner="host-b.invalid:2")
    assert a.hold_watch("billing/INBOX", 30) and not b.hold_watch("billing/INBOX", 30)
    assert b.hold_watch("cardio/INBOX", 30) and not a.hold_watch("cardio/INBOX", 30)
    clock.t += 20
    assert a.hold_watch("billing/INBOX", 30)               # renewed in time: still a's
    clock.t += 25
    assert not b.hold_watch("billing/INBOX", 30)           # 45 s after the start, but renewed at 20 s
    clock.t += 10                                          # a stopped renewing: its lease ran out
    assert b.hold_watch("billing/INBOX", 30) and not a.hold_watch("billing/INBOX", 30)
    assert b.watchers()["billing/INBOX"] == ("host-b.invalid:2", clock.t + 30)
    b.drop_watch("billing/INBOX")                          # a clean stop hands it over at once
    assert a.hold_watch("billing/INBOX", 30)


def test_free_mailboxes_are_shared_out_by_a_fair_share_limit(db: Path, clock: Clock) -> None:
    a = Ledger(db, clock=clock, owner="host-a.invalid:1")
    b = Ledger(db, clock=clock, owner="host-b.invalid:2")
    assert a.note_instance(20) == 1
    assert all(a.hold_watch(m, 20, limit=3) for m in ("x/INBOX", "y/INBOX", "z/INBOX"))
    assert b.note_instance(20) == 2 and a.note_instance(20) == 2
    assert not b.hold_watch("z/INBOX", 20, limit=2)            # a holds it (limit or not)
    a.drop_watch("z/INBOX")                                    # a hands over its extra one
    assert not a.hold_watch("z/INBOX", 20, limit=2)            # a already has its share of two
    assert b.hold_watch("z/INBOX", 20, limit=2) and a.watched_by_me() == ["x/INBOX", "y/INBOX"]
    assert a.hold_watch("x/INBOX", 20, limit=1)                # renewing is never refused
    clock.t += 21                                              # b stopped: it is no longer counted
    assert a.note_instance(20) == 1 and a.hold_watch("z/INBOX", 20, limit=3)


def test_a_dead_watcher_on_this_host_is_replaced_at_once(db: Path, clock: Clock) -> None:
    dead = Ledger(db, clock=clock, owner=f"{socket.gethostname()}:{2**22 + 777}")   # no such pid
    assert dead.hold_watch("INBOX", 300)
    assert Ledger(db, clock=clock).hold_watch("INBOX", 300)


def test_shared_work_is_taken_once_and_answered_once(db: Path, clock: Clock) -> None:
    """The watcher queues what it read; two workers never take the same message, and a worker
    that stalled past its lease records nothing once another took the message over."""
    watcher = Ledger(db, clock=clock, owner="host-a.invalid:1")
    a = Ledger(db, clock=clock, owner="host-a.invalid:1")
    b = Ledger(db, clock=clock, owner="host-b.invalid:2")
    for i in (1, 2):
        assert watcher.claim(f"<w{i}@x>", "billing/INBOX", 7, i).action == "new"
        watcher.queue_work(f"<w{i}@x>", "billing/INBOX", b"case %d" % i)
    watcher.queue_work("<w1@x>", "billing/INBOX", b"case 1")            # read twice: queued once
    assert watcher.queued_work("billing/INBOX") == 2 and watcher.queued_work("cardio/INBOX") == 0
    first, second = a.take_work("billing/INBOX", 60), b.take_work("billing/INBOX", 60)
    assert first is not None and second is not None
    assert {first.message_id, second.message_id} == {"<w1@x>", "<w2@x>"}
    assert (first.uid, first.raw) == (1, b"case 1") and a.take_work("billing/INBOX", 60) is None
    reply = Outgoing("<r1@bot>", "reply", "bot@x", ("c@x",), b"r")
    assert a.record_outcome(first.message_id, status=ANSWERED, outgoing=[reply], taken=True)
    assert a.queued_work("billing/INBOX") == 1 and a.message(first.message_id).status == WAITING  # type: ignore[union-attr]
    clock.t += 61                                    # b stalled past its lease: a takes the message over
    again = a.take_work("billing/INBOX", 60)
    assert again is not None and again.message_id == second.message_id
    late = Outgoing("<r2-late@bot>", "reply", "bot@x", ("c@x",), b"late")
    assert not b.record_outcome(second.message_id, status=ANSWERED, outgoing=[late], taken=True)
    assert b.outbox_for(second.message_id) == [] and b.message(second.message_id).status == "claimed"  # type: ignore[union-attr]
    assert a.record_outcome(second.message_id, status=SKIPPED, reason="not a case", taken=True)
    assert a.queued_work("billing/INBOX") == 0 and a.summary().queued_work == {}


def test_work_given_back_or_left_by_a_dead_worker_is_taken_at_once(db: Path, clock: Clock) -> None:
    watcher = Ledger(db, clock=clock, owner="host-a.invalid:1")
    for i in (1, 2):
        watcher.claim(f"<g{i}@x>", "INBOX", 7, i)
        watcher.queue_work(f"<g{i}@x>", "INBOX", b"x")
    dead = Ledger(db, clock=clock, owner=f"{socket.gethostname()}:{2**22 + 778}")   # no such pid
    worker = Ledger(db, clock=clock, owner="host-b.invalid:2")
    taken = dead.take_work("INBOX", 600)
    assert taken is not None and taken.message_id == "<g1@x>"
    assert watcher.summary().queued_work == {"INBOX": 2}
    got = worker.take_work("INBOX", 600)
    assert got is not None and got.message_id == "<g1@x>"         # its holder died on this host
    worker.give_back_work(got.message_id)
    again = watcher.take_work("INBOX", 600)
    assert again is not None and again.message_id == "<g1@x>"    # given back: the oldest first again


# ---------------------------------------------------------------------- disk full, size, privacy
def big_reply(i: int) -> Outgoing:
    return Outgoing(f"<big{i}@bot.example>", "reply", "bot@bot.example", ("coder@clinic.example",),
                    b"Subject: Re: x\r\n\r\n" + b"x" * 50_000)


def test_a_full_volume_is_a_typed_error_and_nothing_is_half_written(db: Path) -> None:
    from consultant.errors import StateVolumeFull

    led = Ledger(db)
    led.claim("<a@x>", "INBOX", 1, 1)
    pages = led._conn.execute("PRAGMA page_count").fetchone()[0]
    led._conn.execute(f"PRAGMA max_page_count = {pages}")     # SQLITE_FULL, exactly as a full disk
    with pytest.raises(StateVolumeFull, match="free space"):
        led.record_outcome("<a@x>", status=ANSWERED, outgoing=[big_reply(1)])
    assert led.outbox_for("<a@x>") == [] and led.message("<a@x>").status == "claimed"   # rolled back
    led.release("<a@x>")                                      # a delete still fits
    assert led.message("<a@x>") is None
    led.note_volume_full(123.0)                               # an update in place still fits
    assert led.summary().volume_full_since == 123.0


def test_incremental_vacuum_keeps_the_file_near_its_live_size(db: Path) -> None:
    led = Ledger(db)
    assert led.summary().auto_vacuum == "incremental"
    for i in range(60):
        led.claim(f"<m{i}@x>", "INBOX", 1, i)
        led.record_outcome(f"<m{i}@x>", status=ANSWERED, outgoing=[big_reply(i)])
    full = db.stat().st_size
    for row in led.due_outbox(100):
        led.lease_outbox(row.id)
        led.mark_sent(row.id)
    for row in led.unfiled():
        assert led.claim_filing(row.message_id)
        led.mark_filed(row.message_id)              # blanks the sent mails' bytes
    led.scrub()                                      # checkpoint + incremental vacuum
    assert db.stat().st_size < full / 5, (db.stat().st_size, full)


def test_an_older_file_is_converted_to_incremental_vacuum(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE junk (x)")
    conn.commit()
    conn.close()
    led = Ledger(db)
    assert led.summary().auto_vacuum == "none"
    assert led.enable_incremental_vacuum() is True
    assert led.summary().auto_vacuum == "incremental"


def test_recipients_are_dropped_once_sent_and_by_purge(db: Path, clock: Clock) -> None:
    led = Ledger(db, clock=clock)
    led.claim("<a@x>", "INBOX", 1, 1)
    led.record_outcome("<a@x>", status=ANSWERED, outgoing=[reply("<ra@b>")])
    (row,) = led.due_outbox()
    led.lease_outbox(row.id)
    led.mark_sent(row.id)
    assert led.outbox_for("<a@x>")[0].recipients == ()
    # a row sent by an older version still holds its addresses: purge drops them, whatever its age
    led._conn.execute("UPDATE outbox SET recipients = '[\"coder@clinic.example\"]'")
    assert led.purge(365)["recipients"] == 1
    assert led.outbox_for("<a@x>")[0].recipients == ()


def test_filing_is_claimed_once_between_processes(db: Path, clock: Clock) -> None:
    a = Ledger(db, clock=clock, owner="other-host-a:1")
    b = Ledger(db, clock=clock, owner="other-host-b:2")
    a.claim("<f@x>", "INBOX", 1, 1)
    a.record_outcome("<f@x>", status=SKIPPED, reason="stranger")
    assert a.claim_filing("<f@x>") is True
    assert b.claim_filing("<f@x>") is False           # held by a (another host: only the lease expires it)
    clock.t += 121
    assert b.claim_filing("<f@x>") is True            # a's lease ran out
    b.mark_filed("<f@x>")
    assert a.claim_filing("<f@x>") is False           # filed: never again


def test_the_reserve_is_kept_and_released(db: Path) -> None:
    led = Ledger(db)
    assert led.keep_reserve(1 << 16) is True and led.reserve_path.stat().st_size == 1 << 16
    assert led.release_reserve() is True and not led.reserve_path.exists()
    assert led.release_reserve() is False
