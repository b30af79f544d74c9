"""No ping-pong with an out-of-office responder: end to end, through SMTP -> LMTP -> Dovecot on
both sides. The coder's mailbox answers EVERYTHING that arrives with an automatic reply (the
worst kind of responder: it even answers the bot's own auto-replies); the bot answers each
case once and never answers the automatic replies, so the exchange stops by itself."""

from __future__ import annotations

import smtplib
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Self

from imapclient import IMAPClient
from mailservers import LOOPBACK, SmtpSink
from support import config_data, sample

from consultant.config import parse_config
from consultant.service import StopSignal, build_consultant, run_daemon
from consultant.state import SKIPPED

CODER, CODER_PASSWORD = "coder@clinic.example", "coderpass"


class OutOfOffice:
    """Answers every new message in the coder's INBOX, in turns: an Exchange out-of-office
    (Auto-Submitted, X-Auto-Response-Suppress, "Automatic reply:") and a bare one that only
    says so in its subject (some servers and rules send nothing more)."""

    def __init__(self, imap_port: int, smtp_port: int) -> None:
        self.imap_port, self.smtp_port = imap_port, smtp_port
        self.sent: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.error: BaseException | None = None

    def __enter__(self) -> Self:
        with IMAPClient(LOOPBACK, self.imap_port, ssl=False) as c:
            c.login(CODER, CODER_PASSWORD)
            self.after = int(c.select_folder("INBOX")[b"UIDNEXT"]) - 1   # only what arrives from now on
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
                        self._answer(message_from_bytes(bytes(item[b"BODY[]"]), policy=policy.default))
                    self.stop.wait(0.2)
        except Exception as e:  # noqa: BLE001 - surfaced by the test
            self.error = e

    def _answer(self, original: EmailMessage) -> None:
        ooo = EmailMessage()
        ooo["From"] = f"Dana Coder <{CODER}>"
        ooo["To"] = str(original["From"])
        ooo["Message-ID"] = make_msgid(domain="clinic.example")
        ooo["In-Reply-To"] = str(original["Message-ID"])
        ooo["References"] = str(original["Message-ID"])
        if len(self.sent) % 2 == 0:
            ooo["Subject"] = f"Automatic reply: {original['Subject']}"
            ooo["Auto-Submitted"] = "auto-replied"
            ooo["X-Auto-Response-Suppress"] = "All"
            ooo["X-MS-Exchange-Inbox-Rules-Loop"] = CODER
        else:
            ooo["Subject"] = f"Out of Office: {original['Subject']}"
        ooo.set_content("I am out of the office until Monday with limited access to e-mail.\n"
                        "For urgent questions about 99213 or 44320 please call the coding desk.\n")
        with smtplib.SMTP(LOOPBACK, self.smtp_port) as smtp:
            smtp.send_message(ooo)
        self.sent.append(str(ooo["Message-ID"]))


def case(n: int) -> bytes:
    return sample("01-loop-colostomy.eml").replace(b"<sample-colostomy-1@", f"<loop-case-{n}@".encode())


def test_out_of_office_cannot_ping_pong(dovecot, bot, tmp_path, kb_path, knowledge_factory) -> None:  # type: ignore[no-untyped-def]
    relay = SmtpSink(relay_lmtp_port=dovecot.lmtp_port).start()     # SMTP -> LMTP for both sides
    data = config_data(dovecot, bot, relay.port, tmp_path, kb_path, poll_interval=60, idle=True)
    bot_ = build_consultant(parse_config(data, tmp_path), knowledge_factory=knowledge_factory)
    stop = StopSignal()
    daemon = threading.Thread(target=run_daemon, args=(bot_, stop), daemon=True)
    try:
        with OutOfOffice(dovecot.imap_port, relay.port) as ooo:
            daemon.start()
            with smtplib.SMTP(LOOPBACK, relay.port) as smtp:
                for n in (1, 2):
                    smtp.sendmail(CODER, [bot], case(n))
            # 2 cases, 2 replies, 2 automatic replies to them: 6 mails, then silence
            relay.wait_for(6, timeout=30)
            deadline = time.monotonic() + 15
            while sum(1 for m in ("<loop-case-1@clinic.example>", "<loop-case-2@clinic.example>", *ooo.sent)
                      if (row := bot_.ledger.message(m)) is not None and row.status != "claimed") < 4:
                assert time.monotonic() < deadline, "the bot did not decide on the automatic replies"
                time.sleep(0.2)
            time.sleep(3.0)             # long enough for another round (two IDLE hops ~1 s)
            assert ooo.error is None, ooo.error
            sent_by_responder = list(ooo.sent)
    finally:
        stop.set()
        daemon.join(15)
        relay.stop()
    assert not daemon.is_alive()
    from_bot = [m for m in relay.messages if m.mail_from == bot]
    assert len(from_bot) == 2, [m.message["Subject"] for m in from_bot]
    assert sorted(str(m.message["In-Reply-To"]) for m in from_bot) == ["<loop-case-1@clinic.example>",
                                                                       "<loop-case-2@clinic.example>"]
    assert len(sent_by_responder) == 2                  # it answered the two replies, and nothing more came
    assert len(relay.messages) == 6
    for mid in sent_by_responder:
        row = bot_.ledger.message(mid)
        assert row is not None and row.status == SKIPPED, mid
        assert "auto" in (row.reason or "").lower(), row.reason
    bot_.ledger.close()

