"""The ledger on a real PostgreSQL: the SQLite ledger's own tests, run again on PostgreSQL,
and what only a server shows (processes racing for claims, a restart of the server)."""

from __future__ import annotations

import importlib.util
import multiprocessing
import socket
from pathlib import Path
from typing import Any

import pytest

from consultant.errors import StateError
from consultant.ledgers import open_ledger
from consultant.state import ANSWERED, Outgoing
from consultant.state_pg import PostgresLedger

_spec = importlib.util.spec_from_file_location(
    "ledger_suite", Path(__file__).resolve().parent.parent / "unit" / "test_state.py")
assert _spec is not None and _spec.loader is not None
suite = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(suite)

# every test of tests/unit/test_state.py that is about behaviour, not about the SQLite file
SAME_BEHAVIOUR = [
    "test_claim_twice_one_winner",
    "test_concurrent_claims_from_two_connections",
    "test_dead_owner_on_this_host_is_taken_over",
    "test_expired_lease_of_other_host",
    "test_uidvalidity_change_dedups_by_message_id",
    "test_outbox_recorded_before_send_then_filed",
    "test_retry_and_undeliverable",
    "test_codes_for_thread_follows_our_reply_ids",
    "test_release_and_summary_and_purge",
    "test_a_dead_senders_lease_is_freed_at_once_and_the_send_is_in_doubt",
    "test_a_live_senders_lease_is_respected",
    "test_retry_clears_the_doubt",
    "test_reply_copied_to_sent_once",
    "test_copy_to_sent_started_but_not_recorded_is_known",
    "test_one_watcher_per_mailbox_and_takeover_after_the_lease",
    "test_a_dead_watcher_on_this_host_is_replaced_at_once",
    "test_free_mailboxes_are_shared_out_by_a_fair_share_limit",
    "test_filing_is_claimed_once_between_processes",
    "test_recipients_are_dropped_once_sent_and_by_purge",
    "test_shared_work_is_taken_once_and_answered_once",
    "test_work_given_back_or_left_by_a_dead_worker_is_taken_at_once",
]


@pytest.mark.parametrize("name", SAME_BEHAVIOUR)
def test_same_behaviour_as_sqlite(name: str, pg: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(suite, "Ledger", PostgresLedger)
    getattr(suite, name)(pg.new_database(), suite.Clock())


def test_open_ledger_picks_the_backend_by_url(pg: Any, tmp_path: Path) -> None:
    with open_ledger(pg.new_database()) as led:
        assert isinstance(led, PostgresLedger)
    assert type(open_ledger(tmp_path / "state.sqlite")).__name__ == "Ledger"


def test_schema_is_created_once_and_upgraded_in_place(pg: Any) -> None:
    url = pg.new_database()
    with PostgresLedger(url) as first:
        first.claim("<m@x>", "INBOX", 1, 1)
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:          # an older version's table
        conn.execute("ALTER TABLE outbox DROP COLUMN copied_at")
    with PostgresLedger(url) as again:                             # adds the column back, keeps rows
        assert again.message("<m@x>") is not None
        again.record_outcome("<m@x>", status=ANSWERED, outgoing=[Outgoing("<r@b>", "reply", "b@x", ("c@x",), b"r")])
        row_id = again.due_outbox()[0].id
        again.mark_copied(row_id)
        assert again.outbox_for("<m@x>")[0].copied


def _claimer(url: str, owner: str, ids: list[str], out: Any) -> None:
    led = PostgresLedger(url, owner=owner)
    won = [mid for mid in ids if led.claim(mid, "INBOX", 1, 1).action == "new"]
    out.put(won)
    led.close()


def test_processes_on_two_hosts_never_both_win_a_claim(pg: Any) -> None:
    url = pg.new_database()
    ids = [f"<p{i}@x>" for i in range(150)]
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_claimer, args=(url, f"host{i}.invalid:{i}", ids, out)) for i in range(3)]
    for p in procs:
        p.start()
    won = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    flat = [m for w in won for m in w]
    assert sorted(flat) == sorted(ids)            # every message claimed exactly once


def test_a_server_restart_fails_one_call_then_the_ledger_recovers(pg: Any) -> None:
    url = pg.new_database()
    led = PostgresLedger(url, owner=f"{socket.gethostname()}:1")
    assert led.claim("<before@x>", "INBOX", 1, 1).action == "new"
    pg.restart()
    outcomes = []
    for _ in range(3):             # the first call may meet the dead connection: StateError, never a crash
        try:
            outcomes.append(led.claim("<after@x>", "INBOX", 1, 2).action)
            break
        except StateError as e:
            assert "PostgreSQL" in str(e) or "state database" in str(e)
    assert outcomes == ["new"]
    assert led.message("<before@x>") is not None
    led.close()


def test_unreachable_server_is_a_clear_error() -> None:
    with pytest.raises(StateError, match=r"cannot be reached.*\[state\] url"):
        PostgresLedger("postgresql://nobody:secret@127.0.0.1:1/none", connect_timeout=1)


def test_a_sqlite_ledger_moves_into_postgresql_once(pg: Any, tmp_path: Path) -> None:
    from consultant.cli import main
    from consultant.state import Ledger

    old = tmp_path / "state.sqlite"
    with Ledger(old) as lite:
        lite.start_after("INBOX", 7)
        lite.advance("INBOX", 7, 12)
        lite.claim("<done@x>", "INBOX", 7, 11)
        lite.record_outcome("<done@x>", status=ANSWERED, codes=["44320"], sender="c@clinic.example",
                            outgoing=[Outgoing("<r1@b>", "reply", "b@x", ("c@clinic.example",), b"r")])
        lite.mark_sent(lite.due_outbox()[0].id)
        lite.mark_filed("<done@x>")
        lite.claim("<queued@x>", "INBOX", 7, 12)
        lite.record_outcome("<queued@x>", status=ANSWERED,
                            outgoing=[Outgoing("<r2@b>", "reply", "b@x", ("c@clinic.example",), b"r2")])
    url = pg.new_database()
    assert main(["state", "copy", "--from", str(old), "--to", url]) == 0
    assert main(["state", "copy", "--from", str(old), "--to", url]) == 0          # twice: nothing doubled
    with PostgresLedger(url) as led:
        assert led.cursor("INBOX") == (7, 12)
        assert led.claim("<done@x>", "INBOX", 7, 11).action == "done"
        assert led.codes_for_thread(["<r1@b>"]) == ("44320",)
        (due,) = led.due_outbox()                       # the queued reply goes out from PostgreSQL
        assert due.message_id == "<r2@b>" and due.raw == b"r2"
        led.claim("<new@x>", "INBOX", 7, 13)             # new outbox ids continue after the copied ones
        led.record_outcome("<new@x>", status=ANSWERED,
                           outgoing=[Outgoing("<r3@b>", "reply", "b@x", ("c@clinic.example",), b"r3")])
        assert sorted(r.message_id for r in led.due_outbox()) == ["<r2@b>", "<r3@b>"]
        assert led.summary().counts[ANSWERED] == 1


_limits_spec = importlib.util.spec_from_file_location(
    "limits_suite", Path(__file__).resolve().parent.parent / "unit" / "test_limits.py")
assert _limits_spec is not None and _limits_spec.loader is not None
limits_suite = importlib.util.module_from_spec(_limits_spec)
_limits_spec.loader.exec_module(limits_suite)

# the answer limits' ledger tests (counts and records in one transaction), on PostgreSQL
SAME_LIMITS = [
    "test_rotating_senders_hit_the_domain_and_overall_limits",
    "test_per_correspondent_rate_limit_counts_the_recipient",
    "test_thread_limit_holds_with_every_rate_limit_off",
    "test_same_text_a_third_time_is_not_answered",
    "test_echo_of_our_reply_is_not_answered",
    "test_templated_case_quoted_as_evidence_is_not_an_echo",
    "test_followups_per_correspondent",
    "test_the_same_case_admitted_again_is_counted_once",
]


@pytest.mark.parametrize("name", SAME_LIMITS)
def test_same_answer_limits_as_sqlite(name: str, pg: Any) -> None:
    clock = limits_suite.Clock()
    led = PostgresLedger(pg.new_database(), clock=clock)
    led.test_clock = clock  # type: ignore[attr-defined]
    try:
        getattr(limits_suite, name)(led)
    finally:
        led.close()
