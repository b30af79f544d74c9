"""No endless exchange with a robot that sends no RFC 3834 headers (issue 9), end to end through
SMTP -> LMTP -> Dovecot on both sides. The coder's mailbox holds an acknowledgement robot ("Ticket N opened"; a bare thank-you is not answered at all):
it answers every mail from the bot in the thread, as a person would (Re: subject, In-Reply-To,
References, no Auto-Submitted), and its text repeats the codes of the reply. With every rate
limit off the loop stops at max_replies_per_thread, and the stop is logged once."""

from __future__ import annotations

import logging
import re
import smtplib
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Self

import pytest
from imapclient import IMAPClient
from mailservers import LOOPBACK, SmtpSink
from support import config_data

from consultant.config import parse_config
from consultant.service import StopSignal, build_consultant, run_daemon
from consultant.state import SKIPPED

CODER, CODER_PASSWORD = "coder@clinic.example", "coderpass"
CODE = re.compile(r"\b(\d{5}|[A-Z]\d{2}\.\d{1,4})\b")


class ThanksRobot:
    """Answers each new mail from `bot` in the coder's INBOX with 'Thanks, received' + its codes."""

    def __init__(self, imap_port: int, smtp_port: int, bot: str, *, echo: bool = False) -> None:
        self.imap_port, self.smtp_port, self.bot, self.echo = imap_port, smtp_port, bot, echo
        self.sent: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.error: BaseException | None = None

    def __enter__(self) -> Self:
        with IMAPClient(LOOPBACK, self.imap_port, ssl=False) as c:
            c.login(CODER, CODER_PASSWORD)
            self.after = int(c.select_folder("INBOX")[b"UIDNEXT"]) - 1
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(10)

    def _run(self) -> None:
        try:
            with IMAPClient(LOOPBACK, self.imap_port, ssl=False) as c:
                c.login(CODER, CODER_PASSWORD)
                while not self.stop.is_set():
                    c.select_folder("INBOX")
                    uids = [u for u in c.search(["UID", f"{self.after + 1}:*"]) if u > self.after]
                    for uid, item in sorted(c.fetch(uids, ["BODY.PEEK[]"]).items()):
                        self.after = max(self.after, uid)
                        msg = message_from_bytes(bytes(item[b"BODY[]"]), policy=policy.default)
                        if self.bot in str(msg["From"]):
                            self._answer(msg)
                    self.stop.wait(0.2)
        except Exception as e:  # noqa: BLE001 - surfaced by the test
            self.error = e

    def _answer(self, original: EmailMessage) -> None:
        text = original.get_body(("plain",)).get_content()
        codes = list(dict.fromkeys(CODE.findall(text)))[:6]
        thanks = EmailMessage()
        thanks["From"] = CODER
        thanks["To"] = self.bot
        thanks["Subject"] = f"Re: {original['Subject']}"
        thanks["Message-ID"] = make_msgid(domain="clinic.example")
        if self.echo:     # no threading headers, a new subject, and the whole reply pasted back as its text
            thanks.replace_header("Subject", f"Received {len(self.sent) + 1}")
            thanks.set_content(f"Thanks, received:\n\n{text}\n")
        else:
            thanks["In-Reply-To"] = str(original["Message-ID"])
            thanks["References"] = f"{original.get('References', '')} {original['Message-ID']}".strip()
            # an acknowledgement robot that does not say "thanks" (a thank-you alone gets no reply
            # at all): the loop must still stop, by the thread limit, whatever the rate limit
            thanks.set_content(f"Ticket {len(self.sent) + 1} opened for your message. Codes noted: "
                               f"{', '.join(codes)}.\n")
        with smtplib.SMTP(LOOPBACK, self.smtp_port) as smtp:
            smtp.send_message(thanks)
        self.sent.append(str(thanks["Message-ID"]))


def first_case(bot: str) -> bytes:
    return (f"From: Coder <{CODER}>\r\nTo: {bot}\r\nSubject: colostomy with resection\r\n"
            "Message-ID: <robot-loop-1@clinic.example>\r\nDate: Thu, 03 Dec 2026 07:00:00 +0000\r\n\r\n"
            "Loop colostomy with sigmoid resection for C18.7: can I bill 44320 with 44140?\r\n").encode()


@pytest.mark.parametrize("rate", [0, 20])
def test_thanks_received_robot_stops_at_the_thread_limit(dovecot, bot, tmp_path, kb_path, knowledge_factory,
                                                         caplog, rate) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG, logger="consultant.service")
    relay = SmtpSink(relay_lmtp_port=dovecot.lmtp_port).start()
    data = config_data(dovecot, bot, relay.port, tmp_path, kb_path, poll_interval=60, idle=True)
    # rate 0: every rate limit off; loop protection must hold by itself
    data["consult"].update({"rate_limit_per_hour": rate, "rate_limit_per_domain_per_hour": rate,
                            "rate_limit_total_per_hour": rate, "max_replies_per_thread": 4,
                            "escalation_address": "lead@elsewhere.example"})
    bot_ = build_consultant(parse_config(data, tmp_path), knowledge_factory=knowledge_factory)
    stop = StopSignal()
    daemon = threading.Thread(target=run_daemon, args=(bot_, stop), daemon=True)
    try:
        with ThanksRobot(dovecot.imap_port, relay.port, bot) as robot:
            daemon.start()
            with smtplib.SMTP(LOOPBACK, relay.port) as smtp:
                smtp.sendmail(CODER, [bot], first_case(bot))
            deadline = time.monotonic() + 60
            while len(robot.sent) < 4 or not (
                    (row := bot_.ledger.message(robot.sent[-1])) is not None and row.status == SKIPPED):
                assert robot.error is None, robot.error
                assert time.monotonic() < deadline, f"robot sent {len(robot.sent)}; the loop did not stop"
                assert len(robot.sent) <= 4, "the bot kept answering the robot"
                time.sleep(0.2)
            # the robot goes on writing into the stopped thread: no reply, no second WARNING
            with smtplib.SMTP(LOOPBACK, relay.port) as smtp:
                for n in range(3):
                    more = (f"From: {CODER}\r\nTo: {bot}\r\nSubject: Re: colostomy with resection\r\n"
                            f"Message-ID: <robot-more-{rate}-{n}@clinic.example>\r\nIn-Reply-To: {robot.sent[-1]}\r\n"
                            f"References: <robot-loop-1@clinic.example> {robot.sent[-1]}\r\n\r\n"
                            f"Ticket {n} updated. Codes noted: 44320, 44140.\r\n")
                    smtp.sendmail(CODER, [bot], more.encode())
            deadline = time.monotonic() + 20
            while not all((r := bot_.ledger.message(f"<robot-more-{rate}-{n}@clinic.example>")) is not None
                          and r.status == SKIPPED for n in range(3)):
                assert time.monotonic() < deadline, "the later robot mails were not decided"
                time.sleep(0.2)
            time.sleep(1.5)
            assert robot.error is None, robot.error
            robot_sent = len(robot.sent)
    finally:
        stop.set()
        daemon.join(15)
        relay.stop()
    assert not daemon.is_alive()
    from_bot = [m for m in relay.messages if m.mail_from == bot and m.message["In-Reply-To"]]
    assert len(from_bot) == 4, [m.message["In-Reply-To"] for m in from_bot]
    assert robot_sent == 4
    reasons = [bot_.ledger.message(m).reason for m in robot.sent[3:]]
    assert all("max_replies_per_thread" in (r or "") for r in reasons), reasons
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "loop stop" in r.getMessage()]
    assert len(warnings) == 1, [w.getMessage() for w in warnings]
    later = [r for r in caplog.records if "robot-more" in r.getMessage() and "loop stop" in r.getMessage()]
    assert len(later) == 3 and all(r.levelno == logging.DEBUG for r in later)
    bot_.ledger.close()


def test_robot_pasting_the_reply_back_without_thread_headers_is_stopped(dovecot, bot, tmp_path, kb_path,
                                                                       knowledge_factory) -> None:  # type: ignore[no-untyped-def]
    relay = SmtpSink(relay_lmtp_port=dovecot.lmtp_port).start()
    data = config_data(dovecot, bot, relay.port, tmp_path, kb_path, poll_interval=60, idle=True)
    data["consult"]["escalation_address"] = "lead@elsewhere.example"      # every rate limit is off (0)
    bot_ = build_consultant(parse_config(data, tmp_path), knowledge_factory=knowledge_factory)
    stop = StopSignal()
    daemon = threading.Thread(target=run_daemon, args=(bot_, stop), daemon=True)
    try:
        with ThanksRobot(dovecot.imap_port, relay.port, bot, echo=True) as robot:
            daemon.start()
            with smtplib.SMTP(LOOPBACK, relay.port) as smtp:
                smtp.sendmail(CODER, [bot], first_case(bot).replace(b"robot-loop-1@", b"robot-echo-1@"))
            deadline = time.monotonic() + 30
            while not (robot.sent and (row := bot_.ledger.message(robot.sent[0])) is not None
                       and row.status == SKIPPED):
                assert robot.error is None, robot.error
                assert time.monotonic() < deadline, f"robot sent {len(robot.sent)}; the echo was not stopped"
                time.sleep(0.2)
            time.sleep(2.0)
            robot_sent = list(robot.sent)
    finally:
        stop.set()
        daemon.join(15)
        relay.stop()
    from_bot = [m for m in relay.messages if m.mail_from == bot and m.message["In-Reply-To"]]
    assert len(from_bot) == 1 and len(robot_sent) == 1
    reason = bot_.ledger.message(robot_sent[0]).reason or ""
    assert "repeats the bot's own recent reply" in reason, reason
    bot_.ledger.close()
