"""The IMAP edge (imapclient): connect, find new mail by UID, fetch without marking seen,
flag, move, append, and wait in IDLE.

One injectable seam: `Inbox(cfg, connect=...)`. The default `connect_imap` opens a socket with
timeouts, TLS (implicit or STARTTLS) with certificate and host-name checks, and logs in with a
password or XOAUTH2. Library errors are wrapped where they enter: a refused login is
`MailboxAuthError` (not retried: fix the credentials); a command the server answers NO or BAD
is `CommandRefused` (the connection is fine and kept: e.g. a MOVE into a folder we may not
write); anything else `MailboxError` (the connection is dropped and re-opened with backoff
by `connect_with_retry`).

One fault, one WARNING line: `note_fault` logs the first failure of a stretch, repeats go to
DEBUG, and the next successful login logs how long the server was away. Error texts are cut
before any quoted protocol data (a broken FETCH can carry message text).

IDLE uses select()-then-idle_done(): imapclient's idle_check() reads a non-blocking socket and
can die on a server line split across TCP segments (mjs/imapclient#519); we only wait for the
socket to become readable, then DONE, which reads whole lines in blocking mode.
"""

from __future__ import annotations

import imaplib
import logging
import os
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import (
    IMAPClientAbortError,
    IMAPClientError,
    LoginError,
    ProtocolError,
)
from imapclient.imapclient import SocketTimeout
from tenacity import RetryCallState, Retrying, retry_if_exception, wait_exponential

from consultant.config import ImapConfig, TokenSource, read_secret
from consultant.errors import ConfigError, MailboxAuthError, MailboxError

log = logging.getLogger(__name__)

Connect = Callable[[ImapConfig], IMAPClient]
_NETWORK_ERRORS = (IMAPClientError, imaplib.IMAP4.error, OSError, ssl.SSLError, socket.timeout, EOFError)


def tls_context(ca_file: os.PathLike[str] | str | None) -> ssl.SSLContext:
    """Certificate and host-name checks on; the configured CA file, else the system CAs."""
    return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)


def connect_imap(cfg: ImapConfig, *, env: Mapping[str, str] | None = None,
                 tokens: TokenSource | None = None) -> IMAPClient:
    """Open, secure and log in. Raises MailboxAuthError / MailboxError / ConfigError."""
    timeout = SocketTimeout(connect=cfg.timeout, read=cfg.timeout)
    where = f"{cfg.host}:{cfg.port} ({cfg.security})"
    try:
        if cfg.security == "tls":
            client = IMAPClient(cfg.host, cfg.port, ssl=True, ssl_context=tls_context(cfg.ca_file), timeout=timeout)
        else:
            client = IMAPClient(cfg.host, cfg.port, ssl=False, timeout=timeout)
            if cfg.security == "starttls":
                client.starttls(tls_context(cfg.ca_file))
    except ssl.SSLCertVerificationError as e:
        raise MailboxError(f"IMAP {where}: the server certificate was refused ({e.verify_message}); "
                           "set [imap] ca_file to the CA that signed it") from e
    except _NETWORK_ERRORS as e:
        raise MailboxError(f"IMAP {where}: cannot connect ({e}); check host, port and security") from e
    try:
        if cfg.auth == "xoauth2":
            assert cfg.oauth is not None
            source = tokens or TokenSource(cfg.oauth, "imap.oauth", env=env)
            client.oauth2_login(cfg.username, source.token())
        else:
            client.login(cfg.username, read_secret(cfg.password_env, "imap.password_env", env))
    except LoginError as e:
        _quiet_logout(client)
        raise MailboxAuthError(f"IMAP {where}: login as {cfg.username!r} refused ({_text(e)}); "
                               f"check the user name and the secret in ${cfg.password_env or 'oauth'}") from e
    except (ConfigError, MailboxAuthError):
        _quiet_logout(client)
        raise
    except _NETWORK_ERRORS as e:
        _quiet_logout(client)
        raise MailboxError(f"IMAP {where}: connection lost during login ({e})") from e
    return client


class CommandRefused(MailboxError):
    """The server answered NO/BAD to one command; the connection itself is fine."""


def _text(e: BaseException) -> str:
    """The error without protocol data: imaplib quotes the line it choked on (`b'...'`),
    which inside a FETCH is message text."""
    text = " ".join(str(e).split())
    cut = min((i for i in (text.find("b'"), text.find('b"')) if i >= 0), default=-1)
    if cut >= 0:
        text = text[:cut].rstrip(" :(") + " [data withheld]"
    return text[:200]


def _buffered(client: IMAPClient, sock: Any) -> bool:
    """Is a server line already in imaplib's read buffer? Dovecot can send "+ idling" and an
    EXISTS in one TLS record; reading the first line buffers the second, and a select() on
    the socket would then sleep through it. Peeks without blocking (timeout 0)."""
    reader = getattr(getattr(client, "_imap", None), "file", None)
    if reader is None or not hasattr(reader, "peek"):
        return False
    old = sock.gettimeout()
    sock.settimeout(0.0)
    try:
        return bool(reader.peek(1))
    except (ssl.SSLWantReadError, BlockingIOError, TimeoutError):
        return False
    finally:
        sock.settimeout(old)


def _refused(e: BaseException) -> bool:
    return (isinstance(e, IMAPClientError) and not isinstance(e, IMAPClientAbortError | ProtocolError)
            and not isinstance(e, OSError))


def _quiet_logout(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:  # noqa: BLE001 - already broken: nothing to tell
        try:
            client.shutdown()
        except Exception:  # noqa: BLE001 - the socket is gone either way
            pass


@dataclass(frozen=True)
class Selected:
    folder: str
    uidvalidity: int
    uidnext: int | None


@dataclass(frozen=True)
class Envelope:
    """What is known of a message before its body is fetched."""

    uid: int
    size: int
    message_id: str | None
    header: bytes


class Inbox:
    """One IMAP connection for one mailbox; not thread-safe (one per scheduler job)."""

    def __init__(self, cfg: ImapConfig, connect: Connect | None = None) -> None:
        self.cfg = cfg
        self._connect = connect or connect_imap
        self._client: IMAPClient | None = None
        self._ensured: set[str] = set()
        self.selected: Selected | None = None
        self._fault_since: float | None = None
        self._reselected = False

    def note_fault(self, message: str) -> None:
        """Log a connection fault: WARNING for the first of a stretch, DEBUG for repeats."""
        if self._fault_since is None:
            self._fault_since = time.monotonic()
            log.warning("%s", message)
        else:
            log.debug("%s", message)

    # ------------------------------------------------------------ connection
    @property
    def connected(self) -> bool:
        return self._client is not None

    @property
    def client(self) -> IMAPClient:
        if self._client is None:
            raise MailboxError(f"IMAP {self.cfg.host}: not connected")
        return self._client

    def open(self) -> None:
        if self._client is None:
            self._client = self._connect(self.cfg)
            self._ensured.clear()
            self.selected = None
            if self._fault_since is not None:
                log.info("IMAP connected again to %s:%d as %s after %.1f s", self.cfg.host, self.cfg.port,
                         self.cfg.username, time.monotonic() - self._fault_since)
                self._fault_since = None
            else:
                log.info("IMAP connected to %s:%d as %s", self.cfg.host, self.cfg.port, self.cfg.username)

    def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            self.selected = None
            _quiet_logout(client)

    def connect_with_retry(self, stop: threading.Event | None = None, *, deadline: float | None = None,
                           max_wait: float = 60.0) -> None:
        """Connect, retrying network failures with exponential backoff until `stop` is set or
        time.monotonic() passes `deadline` (then the last error is raised). A refused login is
        raised at once (retrying cannot fix credentials)."""
        stop = stop or threading.Event()

        def should_retry(e: BaseException) -> bool:
            late = deadline is not None and time.monotonic() >= deadline
            return (isinstance(e, MailboxError) and not isinstance(e, MailboxAuthError)
                    and not stop.is_set() and not late)

        def before_sleep(state: RetryCallState) -> None:
            self.note_fault(f"IMAP {self.cfg.host}: {state.outcome.exception() if state.outcome else '?'}; "
                            f"retrying with backoff (next in {state.next_action.sleep if state.next_action else 0:.1f} s)")

        def pause(seconds: float) -> None:
            stop.wait(seconds)           # a stop request ends the wait at once

        retrying = Retrying(retry=retry_if_exception(should_retry), wait=wait_exponential(multiplier=0.5, max=max_wait),
                            sleep=pause,
                            before_sleep=before_sleep, reraise=True)
        retrying(self.open)

    @contextmanager
    def _op(self, what: str) -> Iterator[IMAPClient]:
        """Run one IMAP command; a library error drops the connection and becomes MailboxError."""
        client = self.client
        try:
            yield client
        except MailboxError:
            raise
        except _NETWORK_ERRORS as e:
            if _refused(e):
                raise CommandRefused(f"IMAP {self.cfg.host}: {what} refused by the server ({_text(e)})") from e
            self.close()
            raise MailboxError(f"IMAP {self.cfg.host}: {what} failed ({_text(e)}); will reconnect") from e

    # ------------------------------------------------------------ folders
    def ensure_folder(self, folder: str) -> None:
        if folder in self._ensured:
            return
        try:
            with self._op(f"create folder {folder!r}") as c:
                if not c.folder_exists(folder):
                    c.create_folder(folder)
                    log.info("IMAP created folder %s", folder)
        except CommandRefused:
            # [ALREADYEXISTS]: another process (or client) created it between LIST and CREATE
            with self._op(f"list folder {folder!r}") as c:
                if not c.folder_exists(folder):
                    raise
            log.debug("IMAP folder %s was created meanwhile by someone else", folder)
        self._ensured.add(folder)

    def select(self, folder: str | None = None) -> Selected:
        folder = folder or self.cfg.folder
        with self._op(f"select {folder!r}") as c:
            info = c.select_folder(folder)
        uidnext = info.get(b"UIDNEXT")
        self.selected = Selected(folder, int(info[b"UIDVALIDITY"]), int(uidnext) if uidnext is not None else None)
        return self.selected

    def new_mail_signalled(self) -> bool:
        """Did the server announce new mail (EXISTS) since the last SELECT? Dovecot reports it
        in the reply to whatever command runs (even a SEARCH that did not yet see the message),
        and then not again in IDLE: whoever sees this must search once more."""
        if self._client is None:
            return False
        if self._reselected:
            self._reselected = False
            return True
        untagged = getattr(getattr(self._client, "_imap", None), "untagged_responses", None) or {}
        return len(untagged.get("EXISTS", [])) > 1      # the first one is the SELECT's own

    # ------------------------------------------------------------ reading
    def uids_after(self, last_uid: int) -> list[int]:
        """UIDs above the cursor, ascending (note 'N:*' always includes the highest UID)."""
        with self._op("search") as c:
            uids = c.search(["UID", f"{last_uid + 1}:*"])
        return sorted(u for u in uids if u > last_uid)

    def envelopes(self, uids: list[int]) -> list[Envelope]:
        """Size and Message-ID without downloading bodies (BODY.PEEK: never sets \\Seen)."""
        if not uids:
            return []
        with self._op("fetch headers") as c:
            data = c.fetch(uids, ["RFC822.SIZE", "BODY.PEEK[HEADER]"])
        out = []
        parser = BytesHeaderParser()
        for uid in uids:
            item = data.get(uid)
            if not item:
                continue          # expunged meanwhile
            header = item.get(b"BODY[HEADER]") or b""
            mid = parser.parsebytes(header).get("Message-ID")
            mid = " ".join(str(mid).split()) if mid else None
            out.append(Envelope(uid, int(item.get(b"RFC822.SIZE", 0)), mid or None, header))
        return out

    def fetch(self, uid: int) -> bytes | None:
        """The whole raw message, or None when it was expunged meanwhile."""
        with self._op(f"fetch UID {uid}") as c:
            data = c.fetch([uid], ["BODY.PEEK[]"])
        item = data.get(uid)
        return None if item is None else bytes(item[b"BODY[]"])

    def find_message_id(self, message_id: str) -> list[int]:
        with self._op("search Message-ID") as c:
            return list(c.search(["HEADER", "Message-ID", message_id]))

    def contains(self, folder: str, message_id: str) -> bool:
        """Is a message with this Message-ID in `folder`? (Selects it read-only, then the
        watched folder again; the next pass searches once more, as a re-SELECT hides any
        new-mail notice that came in meanwhile.)"""
        back = self.selected.folder if self.selected else None
        with self._op(f"search {folder!r}") as c:
            if not c.folder_exists(folder):
                return False
            c.select_folder(folder, readonly=True)
            found = bool(c.search(["HEADER", "Message-ID", message_id]))
        if back is not None:
            self.select(back)
            self._reselected = True
        return found

    # ------------------------------------------------------------ writing
    def flag_answered(self, uid: int) -> None:
        with self._op(f"flag UID {uid}") as c:
            c.add_flags([uid], [b"\\Answered"], silent=True)

    def move(self, uid: int, folder: str) -> None:
        """MOVE (RFC 6851), or COPY + \\Deleted + (UID) EXPUNGE where MOVE is not advertised."""
        self.ensure_folder(folder)
        with self._op(f"move UID {uid} to {folder!r}") as c:
            if c.has_capability("MOVE"):
                c.move([uid], folder)
            else:
                c.copy([uid], folder)
                c.add_flags([uid], [b"\\Deleted"], silent=True)
                if c.has_capability("UIDPLUS"):
                    c.uid_expunge([uid])
                else:
                    c.expunge()

    def append(self, folder: str, raw: bytes, flags: tuple[bytes, ...] = (b"\\Seen",)) -> None:
        self.ensure_folder(folder)
        with self._op(f"append to {folder!r}") as c:
            c.append(folder, raw, flags=flags)

    # ------------------------------------------------------------ waiting
    def supports_idle(self) -> bool:
        with self._op("capability") as c:
            return bool(c.has_capability("IDLE"))

    def noop(self) -> None:
        with self._op("noop") as c:
            c.noop()

    def idle_wait(self, timeout: float, wake_fd: int | None = None) -> list[Any]:
        """IDLE up to `timeout` s (or until `wake_fd` is readable); returns the server's
        untagged responses, possibly []. Always leaves the connection out of IDLE."""
        with self._op("idle") as c:
            c.idle()
            sock = c.socket()
            pending = (isinstance(sock, ssl.SSLSocket) and sock.pending() > 0) or _buffered(c, sock)
            if not pending:
                fds: list[Any] = [sock] + ([wake_fd] if wake_fd is not None else [])
                select.select(fds, [], [], max(0.0, timeout))
            _, responses = c.idle_done()
        return list(responses)
