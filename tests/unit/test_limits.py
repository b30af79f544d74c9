"""Answer limits (issue 9): rate limits per correspondent, domain and overall, and loop stops
that hold with every rate limit off; the ledger counts and records in one transaction."""

from __future__ import annotations

from pathlib import Path

import pytest

from consultant.mail.limits import ExchangeLimits, History, decide, exchange_of, runs
from consultant.state import Ledger

REPLY = ("Codes in your case\n44320 colostomy or skin level cecostomy, valid on the date of service\n"
         "44140 colectomy partial with anastomosis; NCCI pairs 44140 with 44320: modifier 59 may apply\n"
         "Diagnosis C18.7 malignant neoplasm of sigmoid colon is consistent with the procedure.\n")


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


def ex(n: int, *, to: str = "coder@clinic.example", refs: tuple[str, ...] = (), text: str | None = None,
       reply: str = REPLY):  # type: ignore[no-untyped-def]
    body = text if text is not None else f"Case {n}: can I bill 44320 with 44140 on day {n}?"
    return exchange_of(case_message_id=f"<case-{n}@clinic.example>", reply_message_id=f"<r{n}@bot.example>",
                       correspondent=to, organisational_domain=to.rpartition("@")[2], references=refs,
                       in_reply_to=refs[-1] if refs else None, new_text=body, whole_text=body,
                       reply_text=reply, our_domain="bot.example")


@pytest.fixture()
def ledger(tmp_path: Path):  # type: ignore[no-untyped-def]
    clock = Clock()
    led = Ledger(tmp_path / "state.sqlite", clock=clock)
    led.test_clock = clock  # type: ignore[attr-defined]
    yield led
    led.close()


OFF = ExchangeLimits(per_correspondent_per_hour=0, per_domain_per_hour=0, total_per_hour=0)


def test_rotating_senders_hit_the_domain_and_overall_limits(ledger: Ledger) -> None:
    limits = ExchangeLimits(per_correspondent_per_hour=20, per_domain_per_hour=5, total_per_hour=8)
    admitted = [ledger.admit_exchange(ex(i, to=f"forged{i}@clinic.example"), limits) is None for i in range(12)]
    assert admitted.count(True) == 5
    stops = [ledger.admit_exchange(ex(100 + i, to=f"x{i}@clinic.example"), limits) for i in range(3)]
    assert all(s is not None and "rate_limit_per_domain_per_hour" in s.reason for s in stops)
    assert [s.first for s in stops if s] == [False, False, False]          # logged once, at the first stop
    others = [ledger.admit_exchange(ex(200 + i, to=f"a{i}@partner.example"), limits) for i in range(4)]
    assert [o is None for o in others] == [True, True, True, False]        # overall limit 8
    assert others[3] is not None and "rate_limit_total_per_hour" in others[3].reason
    ledger.test_clock.t += 3601                                             # type: ignore[attr-defined]
    assert ledger.admit_exchange(ex(300, to="late@clinic.example"), limits) is None


def test_per_correspondent_rate_limit_counts_the_recipient(ledger: Ledger) -> None:
    limits = ExchangeLimits(per_correspondent_per_hour=3)
    results = [ledger.admit_exchange(ex(i, to="victim@clinic.example"), limits) for i in range(5)]
    assert [r is None for r in results] == [True, True, True, False, False]
    assert results[3] is not None and results[3].first and results[4] is not None and not results[4].first


def test_thread_limit_holds_with_every_rate_limit_off(ledger: Ledger) -> None:
    assert ledger.admit_exchange(ex(0), OFF) is None
    answered = 1
    for n in range(1, 20):
        # a robot answering our last reply (In-Reply-To only: the thread is found through our Message-ID)
        stop = ledger.admit_exchange(ex(n, refs=(f"<r{n - 1}@bot.example>",), text=f"Thanks, received {n}"), OFF)
        if stop is not None:
            assert "max_replies_per_thread" in stop.reason
            break
        answered += 1
    assert answered == OFF.max_replies_per_thread


def test_same_text_a_third_time_is_not_answered(ledger: Ledger) -> None:
    assert ledger.admit_exchange(ex(1, text="Thanks, received. 44320 44140"), OFF) is None
    assert ledger.admit_exchange(ex(2, text="thanks,   RECEIVED 44320 44140"), OFF) is None    # a resend
    stop = ledger.admit_exchange(ex(3, text="Thanks received: 44320, 44140"), OFF)
    assert stop is not None and "same subject and text" in stop.reason
    # another correspondent may ask the same short question
    assert ledger.admit_exchange(ex(4, to="ann@clinic.example", text="Thanks, received. 44320 44140"), OFF) is None


def test_echo_of_our_reply_is_not_answered(ledger: Ledger) -> None:
    long_reply = REPLY * 3 + " ".join(f"line {i} of the reply about edits and modifiers" for i in range(60))
    assert ledger.admit_exchange(ex(1, reply=long_reply), OFF) is None
    echo = "Thanks, received:\n" + long_reply.replace("\n", " ").upper()
    stop = ledger.admit_exchange(ex(2, text=echo), OFF)
    assert stop is not None and "repeats the bot's own recent reply" in stop.reason
    fresh = "New case: laparoscopic appendectomy 44970 for acute appendicitis K35.80, is 49320 bundled?"
    assert ledger.admit_exchange(ex(3, text=fresh), OFF) is None


def test_templated_case_quoted_as_evidence_is_not_an_echo(ledger: Ledger) -> None:
    # the reply quotes phrases of the case as evidence; the next case of the same template shares them
    template = "Loop colostomy with sigmoid resection for cancer of the sigmoid colon, can I bill 44320 with 44140"
    reply = (REPLY + f"Evidence: {template}. " + " ".join(f"line {i} of the reply about edits" for i in range(80)))
    assert ledger.admit_exchange(ex(1, text=template + " (case 1)", reply=reply), OFF) is None
    assert ledger.admit_exchange(ex(2, text=template + " (case 2)", reply=reply), OFF) is None


def test_followups_per_correspondent(ledger: Ledger) -> None:
    limits = ExchangeLimits(per_correspondent_per_hour=0, per_domain_per_hour=0, total_per_hour=0,
                            max_replies_per_thread=100, max_followups_per_correspondent=3)
    got = [ledger.admit_exchange(ex(n, refs=(f"<t{n}@clinic.example>", f"<x{n}@bot.example>")), limits)
           for n in range(5)]
    assert [g is None for g in got] == [True, True, True, False, False]
    assert got[3] is not None and "max_followups_per_correspondent" in got[3].reason
    # mails that do not answer the bot are not follow-ups
    assert ledger.admit_exchange(ex(9, refs=("<t9@clinic.example>",)), limits) is None


def test_decide_is_pure_and_orders_loop_stops_first() -> None:
    e = ex(1, refs=("<r0@bot.example>",))
    assert decide(e, History(), OFF, "t") is None
    stop = decide(e, History(thread_replies=6, correspondent_hour=99), ExchangeLimits(), "t")
    assert stop is not None and stop.reason.startswith("loop stop") and stop.scope == "thread:t"


def test_nothing_readable_is_stored(ledger: Ledger) -> None:
    ledger.admit_exchange(ex(1, to="secret.person@clinic.example", text="Patient Jane Roe, 44320"), OFF)
    data = (ledger.path).read_bytes() + Path(str(ledger.path) + "-wal").read_bytes()
    assert b"secret.person" not in data and b"Jane Roe" not in data and b"colostomy" not in data
    long = " ".join(f"w{i}" for i in range(400))          # 395 runs of 6 words, one in four kept
    assert 50 <= len(runs(long)) <= 150 and set(runs(long[:1200])) <= set(runs(long))


def test_the_same_case_admitted_again_is_counted_once(ledger: Ledger) -> None:
    limits = ExchangeLimits(per_correspondent_per_hour=2)
    assert ledger.admit_exchange(ex(1), limits) is None
    assert ledger.admit_exchange(ex(1), limits) is None        # e.g. recording its outcome failed: retried
    assert ledger.admit_exchange(ex(2), limits) is None
    assert ledger.admit_exchange(ex(3), limits) is not None
