"""Server faults the bot must ride out by itself, losing nothing, with ONE clear log line per
fault (WARNING or ERROR from consultant.*; repeats go to DEBUG) and one line when it is over:

* Dovecot stopped and started again (same ports, same mail) while the bot waits in IDLE;
* the SMTP server refusing connections, then answering 451, then accepting;
* a folder the bot may not write: MOVE refused (a real Dovecot refusal: the target Maildir
  is read-only), then allowed again;
* the connection cut in the middle of a FETCH (a TCP proxy between bot and Dovecot).

(A 5xx refusal is in test_daemon_mail.py: not retried, the case goes to a human.)
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Self

import pytest
from imapclient import IMAPClient
from mailservers import Dovecot, FetchCutter, SmtpSink, free_port
from support import BOT_PASSWORD, PASSWORD_ENV, Mailbox, config_data, sample

from consultant.config import parse_config
from consultant.service import Consultant, StopSignal, build_consultant, run_daemon

BOT = "faults@example.test"


def faults(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name.startswith("consultant") and r.levelno >= logging.WARNING]


def infos(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name.startswith("consultant") and r.levelno == logging.INFO and text in r.getMessage()]


def wait_until(check: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for: {what}"
        time.sleep(0.1)


class Daemon:
    """`run_daemon` in a thread (what `consultant run` does), stopped at the end of the test."""

    def __init__(self, consultant: Consultant) -> None:
        self.consultant = consultant
        self.stop = StopSignal()
        self.thread = threading.Thread(target=run_daemon, args=(consultant, self.stop), daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(20)
        self.consultant.ledger.close()
        assert not self.thread.is_alive()


@pytest.fixture()
def own_dovecot() -> Iterator[Dovecot]:
    """A Dovecot of its own: restarting the shared one would disturb nothing, but keep it simple."""
    os.environ.setdefault(PASSWORD_ENV, BOT_PASSWORD)
    server = Dovecot({BOT: BOT_PASSWORD}).start()
    try:
        yield server
    finally:
        server.stop()


def make(dovecot: Dovecot, bot: str, smtp_port: int, tmp_path: Path, kb_path: Path, knowledge_factory,  # type: ignore[no-untyped-def]
         **imap: object) -> Consultant:
    data = config_data(dovecot, bot, smtp_port, tmp_path, kb_path, **imap)
    return build_consultant(parse_config(data, tmp_path), knowledge_factory=knowledge_factory)


def test_dovecot_restart_while_idle(own_dovecot, smtp, tmp_path, kb_path, knowledge_factory, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG, logger="consultant")
    bot_ = make(own_dovecot, BOT, smtp.port, tmp_path, kb_path, knowledge_factory, poll_interval=60, idle=True)
    with Daemon(bot_):
        own_dovecot.deliver(sample("01-loop-colostomy.eml"), rcpt=BOT)
        smtp.wait_for(1, timeout=20)
        time.sleep(1.0)                                  # back in IDLE
        assert faults(caplog) == []
        away = own_dovecot.restart()
        own_dovecot.deliver(sample("02-em-diabetes-ckd.eml"), rcpt=BOT)
        got = smtp.wait_for(2, timeout=30)[1]
        assert got.message["In-Reply-To"] == "<sample-em-2@clinic.example>"
        wait_until(lambda: Mailbox(own_dovecot, BOT).messages("INBOX") == [], 15, "both filed")
    problems = faults(caplog)
    assert len(problems) == 1, problems                  # one line for the whole outage
    assert "IMAP" in problems[0] and "reconnecting" in problems[0]
    assert len(infos(caplog, "IMAP connected again")) == 1, f"server was away {away:.1f} s"
    assert len(smtp.messages) == 2
    assert len(Mailbox(own_dovecot, BOT).messages("Processed")) == 2


def test_smtp_refusing_then_4xx_then_back(dovecot, bot, mailbox, tmp_path, kb_path, knowledge_factory,  # type: ignore[no-untyped-def]
                                          caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="consultant")
    port = free_port()                                   # nothing listens: connection refused
    sink = SmtpSink(port)
    bot_ = make(dovecot, bot, port, tmp_path, kb_path, knowledge_factory, poll_interval=60, idle=True)
    mid = "<sample-ortho-4@clinic.example>"
    try:
        with Daemon(bot_):
            dovecot.deliver(sample("04-ortho-laterality.eml"), rcpt=bot)
            wait_until(lambda: any("SMTP fault" in m for m in faults(caplog)), 20, "a refused connection")
            assert bot_.ledger.message(mid).status == "waiting"
            sink.handler.defer_data = 1                  # back, but "451 try again later" once
            sink.start()
            (got,) = sink.wait_for(1, timeout=20)
            assert got.message["In-Reply-To"] == mid
            wait_until(lambda: mailbox.messages("INBOX") == [], 15, "the case filed")
            assert bot_.ledger.summary().pending_outbox == 0
    finally:
        sink.stop()
    problems = faults(caplog)
    assert len(problems) == 2, problems                  # refused, then 451: two faults, two lines
    assert "cannot connect" in problems[0] and "451" in problems[1]
    assert len(infos(caplog, "SMTP works again")) == 1
    assert len(sink.messages) == 1


def test_move_refused_then_allowed(dovecot, bot, smtp, mailbox, tmp_path, kb_path, knowledge_factory,  # type: ignore[no-untyped-def]
                                   caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="consultant")
    with IMAPClient("127.0.0.1", dovecot.imap_port, ssl=False) as client:
        client.login(bot, BOT_PASSWORD)
        client.create_folder("Processed")
    target = dovecot.dir / "mail" / bot / "Maildir" / ".Processed"
    parts = [target / "cur", target / "new", target / "tmp", target]
    modes = {p: p.stat().st_mode & 0o777 for p in parts}
    bot_ = make(dovecot, bot, smtp.port, tmp_path, kb_path, knowledge_factory)
    try:
        for p in parts:
            os.chmod(p, 0o555)                            # the server may not write there
        dovecot.deliver(sample("01-loop-colostomy.eml"), rcpt=bot)
        first = bot_.process_pass()
        assert first.answered == 1 and first.sent == 1 and first.filed == 0
        dovecot.deliver(sample("04-ortho-laterality.eml"), rcpt=bot)
        second = bot_.process_pass()                     # still refused: no second warning
        assert second.answered == 1 and second.sent == 1 and second.filed == 0
        inbox = mailbox.messages("INBOX")
        assert len(inbox) == 2 and all(b"\\Answered" in flags for flags, _ in inbox)   # answered, not lost
        problems = faults(caplog)
        assert len(problems) == 1, problems
        assert "move" in problems[0] and "refused" in problems[0]
    finally:
        for p, mode in modes.items():
            os.chmod(p, mode)
    third = bot_.process_pass()                          # the folder is writable again
    bot_.inbox.close()
    bot_.ledger.close()
    assert third.filed == 2 and third.answered == 0 and third.sent == 0
    assert mailbox.messages("INBOX") == [] and len(mailbox.messages("Processed")) == 2
    assert len(mailbox.messages("Sent")) == 2            # each reply copied once, not once per try
    assert len(smtp.messages) == 2
    assert len(infos(caplog, "filing works again")) == 1
    assert len(faults(caplog)) == 1


def test_connection_cut_in_the_middle_of_a_fetch(dovecot, bot, smtp, mailbox, tmp_path, kb_path,  # type: ignore[no-untyped-def]
                                                 knowledge_factory, caplog) -> None:
    caplog.set_level(logging.DEBUG, logger="consultant")
    proxy = FetchCutter(dovecot.imap_port, after_bytes=400).start()
    bot_ = make(dovecot, bot, smtp.port, tmp_path, kb_path, knowledge_factory, port=proxy.port,
                security="none", ca_file=None, poll_interval=60, idle=True)
    raw = sample("01-loop-colostomy.eml")
    try:
        with Daemon(bot_):
            time.sleep(1.0)                              # connected, in IDLE
            proxy.armed.set()
            dovecot.deliver(raw, rcpt=bot)
            (got,) = smtp.wait_for(1, timeout=20)
            assert got.message["In-Reply-To"] == "<sample-colostomy-1@clinic.example>"
            wait_until(lambda: mailbox.messages("INBOX") == [], 15, "the case filed")
            time.sleep(0.5)
    finally:
        proxy.stop()
    assert proxy.cuts == 1
    problems = faults(caplog)
    assert len(problems) == 1, problems
    assert "fetch UID" in problems[0] and "reconnecting" in problems[0]
    assert len(infos(caplog, "IMAP connected again")) == 1
    assert len(smtp.messages) == 1 and len(mailbox.messages("Processed")) == 1
    # the bytes that got through before the cut are message text: none of it in the log
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Loop colostomy" not in logged and "sigmoid" not in logged


def test_idle_wait_sees_a_notice_already_buffered(dovecot, bot, make_config) -> None:  # type: ignore[no-untyped-def]
    """Dovecot can send "+ idling" and an EXISTS in one TLS record: the EXISTS then sits in
    imaplib's read buffer, not in the socket, and the IDLE wait must return at once instead of
    sleeping until its timeout (mail delivered right as the bot entered IDLE)."""
    import select

    from consultant.mail.inbox import Inbox

    inbox = Inbox(make_config().imap)
    inbox.open()
    try:
        inbox.select("INBOX")
        client = inbox.client
        real_idle = client.idle

        def idle_with_a_notice_buffered():  # type: ignore[no-untyped-def]
            real_idle()
            dovecot.deliver(sample("02-em-diabetes-ckd.eml"), rcpt=bot)
            assert select.select([client.socket()], [], [], 5)[0], "no EXISTS from Dovecot"
            assert client._imap.file.peek(1)             # now in the buffer, the socket is empty

        client.idle = idle_with_a_notice_buffered
        t0 = time.monotonic()
        responses = inbox.idle_wait(10)
        elapsed = time.monotonic() - t0
    finally:
        inbox.close()
    assert any(r[1] == b"EXISTS" for r in responses if isinstance(r, tuple) and len(r) > 1), responses
    assert elapsed < 4, f"the IDLE wait slept {elapsed:.1f} s with the notice in its buffer"


def test_folder_created_meanwhile_by_someone_else(dovecot, bot, make_config) -> None:  # type: ignore[no-untyped-def]
    """LIST says no, CREATE says [ALREADYEXISTS] (another process created it in between): fine."""
    from consultant.mail.inbox import Inbox

    with IMAPClient("127.0.0.1", dovecot.imap_port, ssl=False) as client:
        client.login(bot, BOT_PASSWORD)
        client.create_folder("Processed")
    inbox = Inbox(make_config().imap)
    inbox.open()
    try:
        real = inbox.client.folder_exists
        calls: list[str] = []

        def stale_list(folder: str) -> bool:         # the first LIST does not show it yet
            calls.append(folder)
            return False if len(calls) == 1 else bool(real(folder))

        inbox.client.folder_exists = stale_list
        inbox.ensure_folder("Processed")
        assert len(calls) == 2 and inbox.connected
    finally:
        inbox.close()
