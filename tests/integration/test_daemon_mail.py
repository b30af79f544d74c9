"""The bot against a REAL Dovecot (LMTP delivery, IMAP STARTTLS with the cert checked) and a
real aiosmtpd: answered once and in the thread, robots and strangers ignored, a SIGKILL between
sending and filing does not answer twice, SMTP outages are retried, IDLE wakes the bot."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from imapclient import IMAPClient
from mailservers import SmtpSink, free_port
from support import BOT_PASSWORD, config_data, sample, to_toml

from consultant.cli import main as cli_main
from consultant.service import StopSignal, build_consultant, run_daemon
from consultant.state import ANSWERED, FAILED, SKIPPED

HERE = Path(__file__).resolve().parent
CODES = ("44320", "44140", "C18.7", "K56.69", "99213")


@pytest.fixture()
def build(make_config, knowledge_factory, consult_fn):  # type: ignore[no-untyped-def]
    made = []

    def _build(**kw):  # type: ignore[no-untyped-def]
        checkpoint = kw.pop("checkpoint", None)
        c = build_consultant(make_config(**kw), knowledge_factory=knowledge_factory, consult=consult_fn,
                             checkpoint=checkpoint)
        made.append(c)
        return c

    yield _build
    for c in made:
        c.inbox.close()
        c.ledger.close()


def parse(raw: bytes):  # type: ignore[no-untyped-def]
    return message_from_bytes(raw, policy=policy.default)


def test_case_answered_once_in_thread(dovecot, bot, smtp, mailbox, build) -> None:  # type: ignore[no-untyped-def]
    dovecot.deliver(sample("01-loop-colostomy.eml"), rcpt=bot)
    bot_ = build()
    report = bot_.process_pass()
    assert report.answered == 1 and report.sent == 1 and report.filed == 1
    (got,) = smtp.wait_for(1)
    reply = got.message
    assert got.rcpt_tos == ["coder@clinic.example"]
    assert reply["In-Reply-To"] == "<sample-colostomy-1@clinic.example>"
    assert "<sample-colostomy-1@clinic.example>" in reply["References"]
    assert reply["Subject"] == "Re: Loop colostomy with sigmoid resection - codes OK?"
    assert reply["Auto-Submitted"] == "auto-replied"
    text = reply.get_body(("plain",)).get_content()
    for code in CODES:
        assert code in text, code
    # a second pass, and a second process on the same ledger: nothing more is sent
    assert bot_.process_pass().answered == 0
    assert build().process_pass().answered == 0
    time.sleep(0.3)
    assert len(smtp.messages) == 1
    assert mailbox.messages("INBOX") == []
    ((flags, raw),) = mailbox.messages("Processed")
    assert b"\\Answered" in flags and b"\\Seen" not in flags       # fetched with BODY.PEEK
    assert parse(raw)["Message-ID"] == "<sample-colostomy-1@clinic.example>"
    ((_, sent),) = mailbox.messages("Sent")
    assert parse(sent)["Message-ID"] == reply["Message-ID"]
    row = bot_.ledger.message("<sample-colostomy-1@clinic.example>")
    assert row.status == ANSWERED and {"44320", "44140"} <= set(row.codes)


def test_follow_up_gets_thread_codes(dovecot, bot, smtp, build) -> None:  # type: ignore[no-untyped-def]
    dovecot.deliver(sample("01-loop-colostomy.eml"), rcpt=bot)
    bot_ = build()
    bot_.process_pass()
    first = smtp.wait_for(1)[0].message
    follow = (f"From: coder@clinic.example\r\nTo: {bot}\r\nSubject: Re: {first['Subject']}\r\n"
              f"Message-ID: <follow-1@clinic.example>\r\nIn-Reply-To: {first['Message-ID']}\r\n"
              f"References: <sample-colostomy-1@clinic.example> {first['Message-ID']}\r\n\r\n"
              "And if I add modifier 59 to 44320?\r\n").encode()
    seen: list[tuple[str, ...]] = []
    real = bot_._consult

    def spy(raw, **kw):  # type: ignore[no-untyped-def]
        seen.append(kw["thread_codes"])
        return real(raw, **kw)

    bot_._consult = spy
    dovecot.deliver(follow, rcpt=bot)
    bot_.process_pass()
    second = smtp.wait_for(2)[1].message
    assert second["In-Reply-To"] == "<follow-1@clinic.example>"
    assert {"44320", "44140"} <= set(seen[0])


def test_auto_reply_and_stranger_not_answered(dovecot, bot, smtp, mailbox, build) -> None:  # type: ignore[no-untyped-def]
    dovecot.deliver(sample("05-out-of-office.eml"), rcpt=bot)
    stranger = (b"From: someone@elsewhere.example\r\nTo: bot@example.test\r\nSubject: CPT 44320?\r\n"
                b"Message-ID: <stranger-1@elsewhere.example>\r\n\r\nIs 44320 billable with 44140?\r\n")
    dovecot.deliver(stranger, rcpt=bot, sender="someone@elsewhere.example")
    bot_ = build()
    report = bot_.process_pass()
    assert report.skipped == 2 and report.answered == 0
    time.sleep(0.5)
    assert smtp.messages == []
    assert mailbox.messages("INBOX") == []
    processed = mailbox.messages("Processed")
    assert len(processed) == 2 and all(b"\\Answered" not in flags for flags, _ in processed)
    for mid in ("<sample-ooo-5@clinic.example>", "<stranger-1@elsewhere.example>"):
        row = bot_.ledger.message(mid)
        assert row.status == SKIPPED and row.reason
    assert "auto" in bot_.ledger.message("<sample-ooo-5@clinic.example>").reason.lower()


def test_sigkill_between_send_and_flag_does_not_answer_twice(dovecot, bot, smtp, mailbox, tmp_path,
                                                             kb_path) -> None:  # type: ignore[no-untyped-def]
    cfg = tmp_path / "config.toml"
    cfg.write_text(to_toml(config_data(dovecot, bot, smtp.port, tmp_path, kb_path)))
    dovecot.deliver(sample("01-loop-colostomy.eml"), rcpt=bot)
    run = [sys.executable, str(HERE / "bot_proc.py"), str(cfg)]
    killed = subprocess.run([*run, "--crash-at", "sent"], capture_output=True, text=True, timeout=120, check=False)
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert len(smtp.wait_for(1)) == 1
    assert len(mailbox.messages("INBOX")) == 1           # not flagged, not moved: the kill came first
    again = subprocess.run(run, capture_output=True, text=True, timeout=120, check=False)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "answered=0 sent=0 filed=1" in again.stdout
    time.sleep(0.3)
    assert len(smtp.messages) == 1                       # still exactly one reply
    assert mailbox.messages("INBOX") == []
    ((flags, _),) = mailbox.messages("Processed")
    assert b"\\Answered" in flags


def test_smtp_down_then_back(dovecot, bot, mailbox, build) -> None:  # type: ignore[no-untyped-def]
    port = free_port()                                   # nothing listens here yet
    bot_ = build(smtp_port=port, poll_interval=60)
    stop = StopSignal()
    daemon = threading.Thread(target=run_daemon, args=(bot_, stop), daemon=True)
    daemon.start()
    sink = SmtpSink(port)
    try:
        dovecot.deliver(sample("04-ortho-laterality.eml"), rcpt=bot)
        deadline = time.monotonic() + 15
        while bot_.ledger.summary().pending_outbox == 0:
            assert time.monotonic() < deadline, "the reply was never queued"
            time.sleep(0.1)
        assert bot_.ledger.message("<sample-ortho-4@clinic.example>").status == "waiting"
        assert len(mailbox.messages("INBOX")) == 1      # not filed while the reply is not out
        time.sleep(1.5)                                  # at least one more failed attempt
        sink.start()
        (got,) = sink.wait_for(1, timeout=20)            # retried with backoff, not polled for
        assert got.message["In-Reply-To"] == "<sample-ortho-4@clinic.example>"
        deadline = time.monotonic() + 10
        while mailbox.messages("INBOX"):
            assert time.monotonic() < deadline, "answered case was not filed"
            time.sleep(0.2)
    finally:
        stop.set()
        daemon.join(15)
        sink.stop()
    assert not daemon.is_alive()
    assert len(sink.messages) == 1
    assert bot_.ledger.message("<sample-ortho-4@clinic.example>").status == ANSWERED


def test_idle_wakes_the_bot(dovecot, bot, smtp, build) -> None:  # type: ignore[no-untyped-def]
    bot_ = build(poll_interval=60, idle=True)
    stop = StopSignal()
    daemon = threading.Thread(target=run_daemon, args=(bot_, stop), daemon=True)
    daemon.start()
    try:
        time.sleep(1.5)                                  # first pass done, waiting in IDLE
        t0 = time.monotonic()
        dovecot.deliver(sample("02-em-diabetes-ckd.eml"), rcpt=bot)
        (got,) = smtp.wait_for(1, timeout=10)
        elapsed = time.monotonic() - t0
        assert got.message["In-Reply-To"] == "<sample-em-2@clinic.example>"
        assert elapsed < 8, f"reply after {elapsed:.1f} s: IDLE did not wake the bot (poll is 60 s)"
    finally:
        t_stop = time.monotonic()
        stop.set()
        daemon.join(15)
    assert not daemon.is_alive() and time.monotonic() - t_stop < 5   # SIGTERM-style stop is prompt


def test_permanent_refusal_goes_to_failed_folder_and_a_human(dovecot, bot, smtp, mailbox, build, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG, logger="consultant")
    smtp.handler.refuse.add("coder@clinic.example")
    dovecot.deliver(sample("01-loop-colostomy.eml"), rcpt=bot)
    bot_ = build()
    bot_.process_pass()
    (notice,) = smtp.wait_for(1)
    assert notice.rcpt_tos == ["lead@clinic.example"]
    assert "undeliverable" in notice.message["Subject"].lower()
    assert bot_.ledger.message("<sample-colostomy-1@clinic.example>").status == FAILED
    assert bot_.ledger.due_outbox() == []                # not retried
    bot_.process_pass()
    assert len(smtp.messages) == 1
    assert mailbox.messages("INBOX") == [] and len(mailbox.messages("Failed")) == 1
    problems = [r.getMessage() for r in caplog.records if r.name.startswith("consultant") and r.levelno >= logging.WARNING]
    assert len(problems) == 1 and "refused, not retried" in problems[0] and "550" in problems[0], problems


def test_too_large_is_not_fetched(dovecot, bot, smtp, mailbox, build) -> None:  # type: ignore[no-untyped-def]
    big = sample("01-loop-colostomy.eml").replace(b"Thanks,", b"x" * 3000 + b"\r\nThanks,")
    big = big.replace(b"<sample-colostomy-1@", b"<big-1@")
    dovecot.deliver(big, rcpt=bot)
    bot_ = build(consult={"max_message_bytes": 2048})
    bot_.process_pass()
    time.sleep(0.3)
    assert smtp.messages == [] and len(mailbox.messages("Failed")) == 1
    assert "too large" in bot_.ledger.message("<big-1@clinic.example>").reason


def test_move_fallback_without_move_capability(dovecot, bot, smtp, mailbox, make_config,
                                               knowledge_factory, consult_fn) -> None:  # type: ignore[no-untyped-def]
    from consultant.mail.inbox import connect_imap

    def no_move(cfg):  # type: ignore[no-untyped-def]
        client = connect_imap(cfg)
        real = client.has_capability
        client.has_capability = lambda cap: False if cap.upper() == "MOVE" else real(cap)
        return client

    dovecot.deliver(sample("03-debridement-question.eml"), rcpt=bot)
    bot_ = build_consultant(make_config(), knowledge_factory=knowledge_factory, consult=consult_fn,
                            imap_connect=no_move)
    try:
        assert bot_.process_pass().filed == 1
    finally:
        bot_.inbox.close()
    assert mailbox.messages("INBOX") == [] and len(mailbox.messages("Processed")) == 1


def test_check_config_and_once_commands(dovecot, bot, smtp, tmp_path, kb_path, capsys) -> None:  # type: ignore[no-untyped-def]
    cfg = tmp_path / "config.toml"
    data = config_data(dovecot, bot, smtp.port, tmp_path, kb_path)
    cfg.write_text(to_toml(data))
    code = cli_main(["--config", str(cfg), "check-config"])
    out = capsys.readouterr().out
    assert "imap:" in out and "login as" in out and "IDLE" in out and "smtp:" in out
    assert code == 0
    data["imap"]["password_env"] = "CONSULTANT_TEST_WRONG_PW"
    bad = tmp_path / "bad.toml"
    bad.write_text(to_toml(data))
    os.environ["CONSULTANT_TEST_WRONG_PW"] = "wrong"
    assert cli_main(["--config", str(bad), "check-config"]) == 3
    assert "imap: FAILED" in capsys.readouterr().out
    data["imap"]["security"] = "plain"
    bad.write_text(to_toml(data))
    assert cli_main(["--config", str(bad), "check-config"]) == 2
    assert cli_main(["--config", str(cfg), "status", "--json"]) == 0
    assert '"counts"' in capsys.readouterr().out
    assert cli_main(["--config", str(cfg), "purge", "--older-than-days", "0"]) == 0
    assert "purged data older than 0 days" in capsys.readouterr().out
    dovecot.deliver(sample("01-loop-colostomy.eml"), rcpt=bot)
    assert cli_main(["--config", str(cfg), "once"]) == 0
    assert "answered 1" in capsys.readouterr().out
    assert len(smtp.wait_for(1)) == 1
    assert cli_main(["--config", str(cfg), "status"]) == 0
    out = capsys.readouterr().out
    assert "answered 1" in out and "outbox: 0 waiting" in out


def test_transient_4xx_is_retried_later(dovecot, bot, smtp, mailbox, build) -> None:  # type: ignore[no-untyped-def]
    smtp.handler.defer_data = 1
    dovecot.deliver(sample("04-ortho-laterality.eml"), rcpt=bot)
    bot_ = build()
    report = bot_.process_pass()
    assert report.deferred == 1 and report.sent == 0 and report.filed == 0
    assert bot_.ledger.message("<sample-ortho-4@clinic.example>").status == "waiting"
    assert len(mailbox.messages("INBOX")) == 1
    time.sleep(1.1)                                      # first backoff step is 1 s
    report = bot_.process_pass()
    assert report.sent == 1 and report.filed == 1
    assert len(smtp.wait_for(1)) == 1 and mailbox.messages("INBOX") == []


def test_rate_limit_per_sender(dovecot, bot, smtp, mailbox, build) -> None:  # type: ignore[no-untyped-def]
    first = sample("01-loop-colostomy.eml")
    second = first.replace(b"<sample-colostomy-1@", b"<sample-colostomy-2@")
    dovecot.deliver(first, rcpt=bot)
    dovecot.deliver(second, rcpt=bot)
    bot_ = build(consult={"rate_limit_per_hour": 1})
    report = bot_.process_pass()
    assert report.answered == 1 and report.skipped == 1
    assert "rate limit" in bot_.ledger.message("<sample-colostomy-2@clinic.example>").reason
    assert len(smtp.wait_for(1)) == 1
    ((_, raw),) = mailbox.messages("Failed")            # for a human, not lost
    assert b"<sample-colostomy-2@clinic.example>" in raw


def test_reconnects_after_the_server_drops_the_connection(dovecot, bot, smtp, build) -> None:  # type: ignore[no-untyped-def]
    bot_ = build(poll_interval=60, idle=True)
    stop = StopSignal()
    daemon = threading.Thread(target=run_daemon, args=(bot_, stop), daemon=True)
    daemon.start()
    try:
        time.sleep(1.5)
        kicked = dovecot.doveadm("kick", bot)            # the bot's IDLE connection is cut
        assert bot in kicked, kicked
        time.sleep(0.5)
        dovecot.deliver(sample("02-em-diabetes-ckd.eml"), rcpt=bot)
        (got,) = smtp.wait_for(1, timeout=15)
        assert got.message["In-Reply-To"] == "<sample-em-2@clinic.example>"
    finally:
        stop.set()
        daemon.join(15)
    assert not daemon.is_alive()


def test_implicit_tls_and_certificate_check(dovecot, make_config) -> None:  # type: ignore[no-untyped-def]
    from consultant.errors import MailboxError
    from consultant.mail.inbox import Inbox

    ok = make_config(security="tls", port=dovecot.imaps_port)
    inbox = Inbox(ok.imap)
    inbox.open()
    assert inbox.select("INBOX").uidvalidity > 0
    inbox.close()
    unverified = make_config(security="tls", port=dovecot.imaps_port, ca_file=None)
    with pytest.raises(MailboxError, match="certificate"):
        Inbox(unverified.imap).open()


def test_run_command_answers_and_stops_on_sigterm(dovecot, bot, smtp, tmp_path, kb_path) -> None:  # type: ignore[no-untyped-def]
    cfg = tmp_path / "config.toml"
    cfg.write_text(to_toml(config_data(dovecot, bot, smtp.port, tmp_path, kb_path)))
    cmd = [sys.executable, "-m", "consultant", "--config", str(cfg), "run"]
    log_path = tmp_path / "daemon.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log)
    try:
        dovecot.deliver(sample("01-loop-colostomy.eml"), rcpt=bot)
        (got,) = smtp.wait_for(1, timeout=60)
        assert got.message["In-Reply-To"] == "<sample-colostomy-1@clinic.example>"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = log_path.read_text()
    assert "stopped" in stderr and "Traceback" not in stderr


def test_escalation_goes_to_the_human_with_the_original(dovecot, bot, smtp, mailbox, make_config,
                                                         knowledge_factory, consult_fn) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from consultant.mail.compose import compose_escalation
    from consultant.pipeline import Answer
    from consultant.state import ESCALATED

    def escalating(raw, **kw):  # type: ignore[no-untyped-def]
        out = consult_fn(raw, **kw)
        assert isinstance(out, Answer)
        rendered = type("R", (), {"text": "partial analysis", "html": "<p>partial analysis</p>"})()
        esc = compose_escalation(out.case, raw, rendered, from_addr=bot, to_addr="lead@clinic.example",
                                 now=kw["now"], msgid=kw["message_ids"]())
        return replace(out, escalation=esc)

    dovecot.deliver(sample("03-debridement-question.eml"), rcpt=bot)
    bot_ = build_consultant(make_config(), knowledge_factory=knowledge_factory, consult=escalating)
    try:
        bot_.process_pass()
    finally:
        bot_.inbox.close()
    got = smtp.wait_for(2)
    assert sorted(m.rcpt_tos[0] for m in got) == ["lead@clinic.example", "priya.n@clinic.example"]
    esc = next(m.message for m in got if m.rcpt_tos == ["lead@clinic.example"])
    (att,) = list(esc.iter_attachments())
    assert att.get_content()["Message-ID"] == "<sample-debride-3@clinic.example>"
    assert bot_.ledger.message("<sample-debride-3@clinic.example>").status == ESCALATED
    ((flags, _),) = mailbox.messages("Processed")
    assert b"\\Answered" in flags


def test_message_without_message_id_answered_once(dovecot, bot, smtp, mailbox, build) -> None:  # type: ignore[no-untyped-def]
    raw = b"\r\n".join(line for line in sample("03-debridement-question.eml").split(b"\n")
                       if not line.startswith(b"Message-ID")).replace(b"\r\r\n", b"\r\n")
    assert b"Message-ID" not in raw
    dovecot.deliver(raw, rcpt=bot)
    bot_ = build()
    assert bot_.process_pass().answered == 1
    (got,) = smtp.wait_for(1)
    assert got.message["In-Reply-To"] is None or got.message["In-Reply-To"].endswith("@caseconsultant.invalid>")
    # the very same bytes put back into the INBOX (e.g. a user drags it back): same synthetic id
    ((_, stored),) = mailbox.messages("Processed")
    with IMAPClient("127.0.0.1", dovecot.imap_port, ssl=False) as client:
        client.login(bot, BOT_PASSWORD)
        client.append("INBOX", stored)
    report = build().process_pass()
    assert report.seen == 1 and report.answered == 0
    time.sleep(0.3)
    assert len(smtp.messages) == 1
    assert mailbox.messages("INBOX") == [] and len(mailbox.messages("Processed")) == 2


def test_shared_analysis_on_one_host_queues_then_answers_each_once(dovecot, bot, smtp, mailbox, make_config,  # type: ignore[no-untyped-def]
                                                                   knowledge_factory, consult_fn) -> None:
    """share_analysis with the SQLite file: the watcher queues what it reads and answers its own
    queue in the same pass; mail left queued (e.g. the setting turned off, or its worker gone)
    is answered by the next pass whatever the setting."""
    from dataclasses import replace

    from crashrun import case

    from consultant.state import Ledger

    base = make_config()
    shared = replace(base, state=replace(base.state, share_analysis=True))
    for i in range(3):
        dovecot.deliver(case(i, "share"), rcpt=bot)
    first = build_consultant(shared, knowledge_factory=knowledge_factory, consult=consult_fn)
    try:
        report = first.process_pass()
        assert (report.queued, report.answered, report.sent, report.filed) == (3, 3, 3, 3)
        assert first.ledger.queued_work(first.mailbox) == 0
        dovecot.deliver(case(3, "share"), rcpt=bot)
        first.intake.work_one = lambda *a: False      # type: ignore[method-assign]  # no worker takes it
        report = first.process_pass()
        assert (report.queued, report.answered, report.sent) == (1, 0, 0)
        assert first.ledger.queued_work(first.mailbox) == 1
    finally:
        first.inbox.close()
        first.ledger.close()
    second = build_consultant(base, knowledge_factory=knowledge_factory, consult=consult_fn)   # sharing off
    try:
        report = second.process_pass()
        assert (report.queued, report.answered, report.sent, report.filed) == (0, 1, 1, 1)
    finally:
        second.inbox.close()
        second.ledger.close()
    got = smtp.wait_for(4)
    assert sorted(m.message["In-Reply-To"] for m in got) == sorted(
        [f"<share-{i}@clinic.example>" for i in range(4)])
    with Ledger(base.state.path) as led:
        assert led.summary().queued_work == {} and led.unfiled() == []
