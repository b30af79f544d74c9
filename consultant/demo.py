"""`consultant demo`: the whole bot on this machine, no mail account needed.

Starts an embedded IMAP server (pymap, in-memory) and an SMTP server (aiosmtpd) on 127.0.0.1,
builds the knowledge base if it is missing, delivers the sample cases of `data/samples/`
into the bot's inbox, lets the bot answer them, prints the replies, then keeps running (the
daemon, IDLE included) so a mail client can connect and send more cases — until Ctrl-C, or
exits at once with `--once`.

pymap keeps no custom keywords; the bot's state lives in the ledger and in folders and
system flags, so that does not matter.
"""

from __future__ import annotations

import argparse
import asyncio
import imaplib
import logging
import os
import signal
import socket
import sys
import tempfile
import threading
import time
from argparse import Namespace
from collections.abc import Callable
from contextlib import AsyncExitStack
from email import message_from_bytes, policy
from pathlib import Path
from types import FrameType
from typing import Any

from consultant.config import Config, parse_config
from consultant.errors import UsageError

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
BOT, BOT_PASSWORD = "consult@caseconsultant.test", "consult"
CODER, CODER_PASSWORD = "coder@clinic.example", "coder"
LEAD, LEAD_PASSWORD = "lead@clinic.example", "lead"
PASSWORD_ENV = "CONSULTANT_DEMO_PASSWORD"
SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class EmbeddedImap:
    """pymap's in-memory ("dict") backend, several users, served from a background thread."""

    def __init__(self, users: dict[str, str], port: int = 0) -> None:
        self.users = users
        self.port = port or _free_port()
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="demo-imap", daemon=True)

    async def _serve(self) -> None:
        from pymap.backend.dict import DictBackend, Identity
        from pymap.imap import IMAPService
        from pymap.user import Passwords, UserMetadata

        # what pymap's own command line builds for: pymap --host H --port P --no-tls dict
        args = Namespace(host=[HOST], port=str(self.port), debug=False, cert=None, key=None, tls=False,
                         proxy_protocol=None, inherited_sockets=None, passlib_cfg=None, skip_services=[],
                         demo_data=False, demo_user="demouser", demo_password="demopass")
        backend, config = await DictBackend.init(args, invalid_user_sleep=0.0)
        config.apply_context()
        passwords = Passwords(config)
        for name, password in self.users.items():
            meta = UserMetadata(config, name, password=await passwords.hash_password(password))
            await Identity(name, backend.login, None, frozenset()).set(meta)
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        async with AsyncExitStack() as stack:
            await backend.start(stack)
            await IMAPService(backend, config).start(stack)
            self._ready.set()
            await self._stop.wait()

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as e:  # noqa: BLE001 - surfaced by start()
            self._error = e
            self._ready.set()

    def start(self) -> EmbeddedImap:
        self._thread.start()
        if not self._ready.wait(20) or self._error is not None:
            raise UsageError(f"the embedded IMAP server did not start on {HOST}:{self.port} "
                             f"({self._error!r}); try another --imap-port")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    def append(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        """Deliver by IMAP APPEND as the recipient (pymap has no LMTP)."""
        client = imaplib.IMAP4(HOST, self.port)
        try:
            client.login(user, self.users[user])
            client.append(folder, None, None, raw)
        finally:
            client.logout()


class _Relay:
    """aiosmtpd handler: local users get the mail in their pymap INBOX; everything is kept."""

    def __init__(self, imap: EmbeddedImap) -> None:
        self.imap = imap
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.cond = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = envelope.original_content or envelope.content
        for rcpt in envelope.rcpt_tos:
            if rcpt.lower() in self.imap.users:
                trace = f"Return-Path: <{envelope.mail_from}>\r\nDelivered-To: {rcpt}\r\n".encode()
                await asyncio.get_running_loop().run_in_executor(None, self.imap.append, rcpt.lower(), trace + data)
        with self.cond:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), data))
            self.cond.notify_all()
        return "250 2.0.0 accepted"


def demo_config(base: Config, imap_port: int, smtp_port: int, state_dir: Path) -> Config:
    data: dict[str, Any] = {
        "imap": {"host": HOST, "port": imap_port, "security": "none", "username": BOT, "password_env": PASSWORD_ENV,
                 "processed_folder": "Processed", "failed_folder": "Failed", "sent_folder": "Sent",
                 "poll_interval": 30, "idle": True, "timeout": 10},
        "smtp": {"host": HOST, "port": smtp_port, "security": "none", "from_address": BOT, "timeout": 10},
        "consult": {"allowed_senders": ["clinic.example"], "escalation_address": LEAD,
                    "message_id_domain": "caseconsultant.test", "rate_limit_per_hour": 0},
        "kb": {"path": str(base.kb.path.resolve())},
        "state": {"path": str(state_dir / "state.sqlite")},
    }
    if base.templates.dir is not None:
        data["templates"] = {"dir": str(base.templates.dir)}
    return parse_config(data, state_dir)


def _plain(raw: bytes) -> tuple[str, str]:
    msg = message_from_bytes(raw, policy=policy.default)
    body = msg.get_body(("plain",))
    return str(msg["Subject"]), body.get_content() if body is not None else ""


def run_demo(base: Config, *, once: bool, imap_port: int = 0, smtp_port: int = 0,
             consult: Callable[..., Any] | None = None,
             knowledge_factory: Callable[[Path], tuple[Any, Any]] | None = None,
             out: Any = None, stop: Any = None) -> int:
    """The demo with its seams open (tests pass a stand-in consult or a stop signal)."""
    from aiosmtpd.controller import Controller

    from consultant.service import (
        StopSignal,
        build_consultant,
        open_knowledge,
        run_daemon,
    )

    out = out or sys.stdout
    if not base.kb.path.exists() and knowledge_factory is None:
        from consultant.kb.build import build_kb

        print(f"building the knowledge base at {base.kb.path} (first run only) ...", file=out, flush=True)
        t0 = time.perf_counter()
        build_kb(base.kb.path)
        print(f"  done in {time.perf_counter() - t0:.1f} s", file=out)
    os.environ[PASSWORD_ENV] = BOT_PASSWORD
    imap = EmbeddedImap({BOT: BOT_PASSWORD, CODER: CODER_PASSWORD, LEAD: LEAD_PASSWORD}, imap_port).start()
    smtp_port = smtp_port or _free_port()
    relay = _Relay(imap)
    controller = Controller(relay, hostname=HOST, port=smtp_port, server_hostname="smtp.caseconsultant.test",
                            ready_timeout=10)
    controller.start()
    state_dir = Path(tempfile.mkdtemp(prefix="consultant-demo."))
    config = demo_config(base, imap.port, smtp_port, state_dir)
    bot = build_consultant(config, knowledge_factory=knowledge_factory or open_knowledge, consult=consult)
    try:
        samples = sorted(SAMPLES.glob("*.eml"))
        for path in samples:
            raw = path.read_bytes()
            imap.append(BOT, f"Return-Path: <{CODER}>\r\nDelivered-To: {BOT}\r\n".encode() + raw)
        print(f"delivered {len(samples)} sample cases into {BOT}'s INBOX; the bot is answering ...\n",
              file=out, flush=True)
        t0 = time.perf_counter()
        report = bot.process_pass()
        while bot.ledger.summary().pending_outbox and time.perf_counter() - t0 < 30:
            time.sleep(0.5)
            bot.process_pass()
        counts = bot.ledger.summary().counts
        for _sender, rcpts, data in list(relay.messages):
            subject, text = _plain(data)
            print("=" * 72, file=out)
            print(f"To: {', '.join(rcpts)}\nSubject: {subject}\n", file=out)
            print(text.rstrip(), file=out)
        print("=" * 72, file=out)
        print(f"answered {counts['answered'] + counts['escalated']}, not answered {counts['skipped']} "
              f"(first pass {report.ms:.0f} ms)", file=out)
        for path in samples:
            mid = message_from_bytes(path.read_bytes(), policy=policy.default)["Message-ID"]
            row = bot.ledger.message(str(mid))
            if row is not None and row.status == "skipped":
                print(f"  not answered: {path.name}: {row.reason}", file=out)
        if once:
            return 0
        print(f"""
Connect a mail client (no TLS, plain password) to read the replies or send new cases:
  IMAP  {HOST}:{imap.port}   user {CODER}   password {CODER_PASSWORD}
  SMTP  {HOST}:{smtp_port}   (no login)    send to {BOT}
  The bot's own mailbox: user {BOT}, password {BOT_PASSWORD} (folders Processed, Failed, Sent)
Mail lives in memory only. Ctrl-C to stop.""", file=out, flush=True)
        stop = stop or StopSignal()

        def on_signal(signum: int, _frame: FrameType | None) -> None:
            stop.set()

        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, on_signal)
            signal.signal(signal.SIGTERM, on_signal)
        run_daemon(bot, stop)
        return 0
    finally:
        bot.inbox.close()
        bot.ledger.close()
        controller.stop()
        imap.stop()


def main(args: argparse.Namespace) -> int:
    from consultant.config import load_config

    base = load_config(getattr(args, "config", None))
    return run_demo(base, once=bool(getattr(args, "once", False)), imap_port=getattr(args, "imap_port", 0) or 0,
                    smtp_port=getattr(args, "smtp_port", 0) or 0)
