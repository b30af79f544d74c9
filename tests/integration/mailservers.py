"""Real mail servers on 127.0.0.1 for the integration tests and bench/latency.py.

* `Dovecot`  — a private Dovecot 2.3 (Debian dovecot-imapd + dovecot-lmtpd) in a temp dir:
  its own config (no /etc/dovecot), base_dir, logs, self-signed cert, passwd-file users,
  IMAP (STARTTLS), IMAPS and LMTP on free ports. Stopped by signalling its process group.
* `SmtpSink` — aiosmtpd on a free port that keeps every message (optionally refusing some
  recipients with 5xx) and can be stopped and started again on the same port.
* `lmtp_deliver` — delivery "as if by mail" through Dovecot's LMTP, one recipient per
  transaction (CPython's smtplib.LMTP reads only the first per-recipient reply).
* `FetchCutter` — a TCP proxy between the bot and Dovecot (plain IMAP) that cuts the
  connection after the first N bytes of the answer to the next whole-message FETCH.
"""

from __future__ import annotations

import logging
import os
import select
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller

DOVECOT = "/usr/sbin/dovecot"
LOOPBACK = "127.0.0.1"
USERS = {"bot@example.test": "botpass", "coder@clinic.example": "coderpass"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def dovecot_available() -> bool:
    return Path(DOVECOT).exists() and shutil.which("openssl") is not None


class Dovecot:
    """Start with `Dovecot(users).start()`; attributes imap_port, imaps_port, lmtp_port, cafile."""

    def __init__(self, users: dict[str, str] | None = None) -> None:
        self.users = users or dict(USERS)
        self.dir = Path(tempfile.mkdtemp(prefix="dovecot."))
        self.imap_port, self.imaps_port, self.lmtp_port = free_port(), free_port(), free_port()
        self.cafile = str(self.dir / "ssl" / "cert.pem")
        self.pid: int | None = None

    def _config(self, mail_uid: int, mail_gid: int, rootless: str) -> str:
        d = self.dir
        return f"""
instance_name = dovecot-test-{self.imap_port}
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
listen = {LOOPBACK}
protocols = imap lmtp
hostname = mail.example.test
postmaster_address = postmaster@example.test
shutdown_clients = yes
{rootless}
ssl = yes
ssl_cert = <{d}/ssl/cert.pem
ssl_key = <{d}/ssl/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {d}/users
  default_fields = uid={mail_uid} gid={mail_gid} home={d}/mail/%u
}}
first_valid_uid = 1
auth_failure_delay = 0
mail_max_userip_connections = 200
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \\Trash
    auto = subscribe
  }}
}}
lda_mailbox_autocreate = yes
service lmtp {{
  inet_listener lmtp {{
    address = {LOOPBACK}
    port = {self.lmtp_port}
  }}
}}
service imap-login {{
  inet_listener imap {{
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    port = {self.imaps_port}
    ssl = yes
  }}
}}
mailbox_idle_check_interval = 1 secs
"""

    def start(self) -> Dovecot:
        d = self.dir
        for sub in ("run", "state", "mail", "ssl"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-days", "30", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
             "-keyout", str(d / "ssl/key.pem"), "-out", str(d / "ssl/cert.pem")],
            check=True, capture_output=True)
        os.chmod(d / "ssl/key.pem", 0o600)
        (d / "users").write_text("".join(f"{u}:{{PLAIN}}{p}::::::\n" for u, p in self.users.items()))
        if os.getuid() == 0:
            import pwd
            nobody = pwd.getpwnam("nobody")
            mail_uid, mail_gid, rootless = nobody.pw_uid, nobody.pw_gid, ""
            os.chown(d / "mail", mail_uid, mail_gid)
            os.chmod(d, 0o711)     # auth (dovecot) and mail (nobody) processes must traverse it
        else:
            import grp
            import pwd
            me = pwd.getpwuid(os.getuid()).pw_name
            group = grp.getgrgid(os.getgid()).gr_name
            mail_uid, mail_gid = os.getuid(), os.getgid()
            rootless = (f"default_internal_user = {me}\ndefault_internal_group = {group}\n"
                        f"default_login_user = {me}\nservice anvil {{\n  chroot =\n}}\n"
                        "service imap-login {\n  chroot =\n}\n")
        conf = d / "dovecot.conf"
        conf.write_text(self._config(mail_uid, mail_gid, rootless))
        return self._launch()

    def _launch(self) -> Dovecot:
        d = self.dir
        conf = d / "dovecot.conf"
        # the daemonised master keeps inherited fds open: give it files, never our pipes
        with open(os.devnull, "rb") as devnull, open(d / "dovecot.stderr", "ab") as err:
            proc = subprocess.run([DOVECOT, "-c", str(conf)], stdin=devnull, stdout=err, stderr=err, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"dovecot failed to start: {(d / 'dovecot.stderr').read_text()}")
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection((LOOPBACK, self.imap_port), timeout=1) as s:
                    if s.recv(100).startswith(b"* OK"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("dovecot did not answer: " + self.log())
            time.sleep(0.02)
        self.pid = int((d / "run/master.pid").read_text())
        return self

    def log(self) -> str:
        p = self.dir / "dovecot.log"
        return p.read_text() if p.exists() else ""

    def restart(self) -> float:
        """Stop the server (clients get BYE) and start it again: same ports, same mail.
        Returns how long it was away, in seconds."""
        t0 = time.monotonic()
        self._kill()
        self._launch()
        return time.monotonic() - t0

    def stop(self) -> None:
        """SIGTERM to the master's process group (it called setsid), wait, remove the dir."""
        self._kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _kill(self) -> None:
        pidfile = self.dir / "run/master.pid"
        if pidfile.exists():
            pid = int(pidfile.read_text())
            try:
                os.killpg(pid, signal.SIGTERM)
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    os.killpg(pid, 0)
                    time.sleep(0.05)
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            pidfile.unlink(missing_ok=True)

    def doveadm(self, *args: str) -> str:
        """e.g. doveadm("kick", user): runs against this instance's config."""
        return subprocess.run(["doveadm", "-c", str(self.dir / "dovecot.conf"), *args], check=True,
                              capture_output=True, text=True).stdout

    def deliver(self, raw: bytes, rcpt: str = "bot@example.test", sender: str = "coder@clinic.example") -> None:
        lmtp_deliver(self.lmtp_port, sender, [rcpt], raw)


def lmtp_deliver(port: int, sender: str, rcpts: list[str], raw: bytes) -> None:
    with smtplib.LMTP(LOOPBACK, port) as lmtp:
        for rcpt in rcpts:
            lmtp.sendmail(sender, [rcpt], raw)


@dataclass
class Captured:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    at: float

    @property
    def message(self):  # type: ignore[no-untyped-def]
        return message_from_bytes(self.data, policy=policy.default)


@dataclass
class _Handler:
    refuse: set[str] = field(default_factory=set)
    defer_data: int = 0                     # answer DATA with 451 this many times first
    messages: list[Captured] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)
    relay_lmtp_port: int | None = None      # also deliver each message into Dovecot by LMTP

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        if address.lower() in self.refuse:
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        if self.defer_data > 0:
            self.defer_data -= 1
            return "451 4.3.0 temporary trouble, try again later"
        data = envelope.original_content or envelope.content
        if self.relay_lmtp_port is not None:
            for rcpt in envelope.rcpt_tos:
                try:
                    lmtp_deliver(self.relay_lmtp_port, envelope.mail_from, [rcpt], data)
                except smtplib.SMTPRecipientsRefused:
                    pass                    # no such mailbox here (e.g. the escalation address)
        with self.cond:
            self.messages.append(Captured(envelope.mail_from, list(envelope.rcpt_tos), data, time.time()))
            self.cond.notify_all()
        return "250 2.0.0 accepted"


class SmtpSink:
    """aiosmtpd on 127.0.0.1 keeping every message; `stop()`/`start()` keep the same port."""

    def __init__(self, port: int | None = None, relay_lmtp_port: int | None = None) -> None:
        self.port = port or free_port()
        self.handler = _Handler(relay_lmtp_port=relay_lmtp_port)
        self.controller: Controller | None = None
        logging.getLogger("mail.log").setLevel(logging.ERROR)

    @property
    def messages(self) -> list[Captured]:
        return self.handler.messages

    def start(self) -> SmtpSink:
        self.controller = Controller(self.handler, hostname=LOOPBACK, port=self.port,
                                     server_hostname="smtp.example.test", ready_timeout=5)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Captured]:
        with self.handler.cond:
            if not self.handler.cond.wait_for(lambda: len(self.handler.messages) >= count, timeout):
                raise TimeoutError(f"only {len(self.handler.messages)} of {count} messages reached the SMTP server")
            return list(self.handler.messages)


class FetchCutter:
    """A TCP proxy on 127.0.0.1 to an IMAP server (no TLS, so it can read the commands).

    While armed, the next client command that fetches a whole message (`BODY.PEEK[]`) has its
    answer cut: the first `after_bytes` bytes are forwarded, then both sockets are closed, as
    if the network died in the middle of the FETCH. `cuts` counts how often that happened.
    """

    def __init__(self, upstream_port: int, after_bytes: int = 300) -> None:
        self.upstream_port = upstream_port
        self.after_bytes = after_bytes
        self.armed = threading.Event()
        self.cuts = 0
        self.port = free_port()
        self._listener = socket.create_server((LOOPBACK, self.port))
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def start(self) -> FetchCutter:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closing.set()
        self._listener.close()
        self._thread.join(5)

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection((LOOPBACK, self.upstream_port))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        cutting: int | None = None          # bytes of the FETCH answer still allowed through
        try:
            while not self._closing.is_set():
                ready, _, _ = select.select([client, upstream], [], [], 0.2)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    if sock is client:
                        if self.armed.is_set() and b"FETCH" in data.upper() and b"BODY.PEEK[]" in data.upper():
                            self.armed.clear()
                            cutting = self.after_bytes
                        upstream.sendall(data)
                    elif cutting is None:
                        client.sendall(data)
                    else:
                        client.sendall(data[:cutting])
                        cutting -= len(data[:cutting])
                        if cutting <= 0:
                            self.cuts += 1
                            return
        except OSError:
            return
        finally:
            for sock in (client, upstream):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
