"""The SMTP edge (smtplib): hand one message to the server and say whether a failure is
worth retrying.

    connection refused / reset / timeout / 4xx   -> TransientDeliveryError (retried from the
                                                    ledger's outbox with backoff)
    5xx (sender, recipients or data refused)     -> PermanentDeliveryError (never retried: the
                                                    case goes to the failed folder and a human)

A refused AUTH (535) is treated as transient: it is our credentials, not the case, that are
wrong, and the reply must not be thrown away while someone fixes them (logged as an error).
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from collections.abc import Callable, Mapping, Sequence

from consultant.config import SmtpConfig, TokenSource, read_secret
from consultant.errors import (
    ConfigError,
    MailboxAuthError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from consultant.mail.inbox import tls_context

log = logging.getLogger(__name__)

SmtpFactory = Callable[[SmtpConfig], smtplib.SMTP]


def backoff_seconds(attempts: int, *, base: float = 1.0, cap: float = 300.0) -> float:
    """Delay before the next try after `attempts` failed ones: 1, 2, 4 ... capped at 5 min."""
    return min(cap, base * 2 ** max(0, attempts - 1))


_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'|<[^>]*>|\([^)]*\)")


def _code_text(code: int, msg: bytes | str) -> str:
    """The reply code and a short, quote-free part of the server's text, for logs and the
    ledger: a content filter may quote the message (patient data) back in its refusal."""
    text = msg.decode("utf-8", "replace") if isinstance(msg, bytes) else str(msg)
    text = _QUOTED.sub("…", " ".join(text.split()))
    return f"{code} {text[:80]}"


def connect_smtp(cfg: SmtpConfig, *, env: Mapping[str, str] | None = None,
                 tokens: TokenSource | None = None) -> smtplib.SMTP:
    """Open, secure (implicit TLS or STARTTLS, certificates checked) and AUTH when configured."""
    where = f"SMTP {cfg.host}:{cfg.port} ({cfg.security})"
    try:
        if cfg.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout,
                                                  context=tls_context(cfg.ca_file))
        else:
            smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
            if cfg.security == "starttls":
                smtp.starttls(context=tls_context(cfg.ca_file))
        smtp.ehlo_or_helo_if_needed()
    except ssl.SSLCertVerificationError as e:
        raise TransientDeliveryError(f"{where}: server certificate refused ({e.verify_message}); "
                                     "set [smtp] ca_file") from e
    except smtplib.SMTPResponseException as e:
        raise TransientDeliveryError(f"{where}: greeting refused ({_code_text(e.smtp_code, e.smtp_error)})") from e
    except (OSError, smtplib.SMTPException) as e:
        raise TransientDeliveryError(f"{where}: cannot connect ({e}); will retry") from e
    if cfg.username:
        try:
            if cfg.auth == "xoauth2":
                assert cfg.oauth is not None
                token = (tokens or TokenSource(cfg.oauth, "smtp.oauth", env=env)).token()
                blob = f"user={cfg.username}\x01auth=Bearer {token}\x01\x01"
                smtp.auth("XOAUTH2", lambda challenge=None: blob, initial_response_ok=True)
            else:
                smtp.login(cfg.username, read_secret(cfg.password_env, "smtp.password_env", env))
        except smtplib.SMTPAuthenticationError as e:
            _quiet_quit(smtp)
            log.error("%s: AUTH as %r refused (%s): fix the credentials; replies stay queued",
                      where, cfg.username, _code_text(e.smtp_code, e.smtp_error))
            raise TransientDeliveryError(f"{where}: AUTH as {cfg.username!r} refused "
                                         f"({_code_text(e.smtp_code, e.smtp_error)})") from e
        except (ConfigError, MailboxAuthError) as e:
            _quiet_quit(smtp)
            raise TransientDeliveryError(f"{where}: credentials unavailable: {e}") from e
        except (OSError, smtplib.SMTPException) as e:
            _quiet_quit(smtp)
            raise TransientDeliveryError(f"{where}: AUTH failed ({e})") from e
    return smtp


def _quiet_quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except Exception:  # noqa: BLE001 - connection already gone
        smtp.close()


class Outbox:
    """Sends raw messages through one SMTP server. Seam: `connect` (tests, other transports)."""

    def __init__(self, cfg: SmtpConfig, connect: SmtpFactory | None = None) -> None:
        self.cfg = cfg
        self._connect = connect or connect_smtp

    def check(self) -> str:
        """Connect, AUTH and NOOP; returns the server's EHLO name (for check-config)."""
        smtp = self._connect(self.cfg)
        try:
            smtp.noop()
            return (smtp.ehlo_resp or b"").decode("utf-8", "replace").split("\n")[0]
        finally:
            _quiet_quit(smtp)

    def send(self, raw: bytes, mail_from: str, recipients: Sequence[str],
             on_accepted: Callable[[], None] | None = None) -> None:
        """Hand one message over; raises Transient/PermanentDeliveryError (see module doc).

        `on_accepted` runs as soon as the server has said 250 to the data, before QUIT: the
        caller records the send there, so a crash during QUIT cannot cause a second reply.
        """
        if not recipients:
            raise PermanentDeliveryError("no valid recipient address: nothing to send to")
        smtp = self._connect(self.cfg)
        try:
            refused = smtp.sendmail(mail_from, list(recipients), raw)
            if on_accepted is not None:
                on_accepted()
        except smtplib.SMTPRecipientsRefused as e:
            self._raise_for(e.recipients)
        except smtplib.SMTPResponseException as e:   # SenderRefused, DataError, ...
            text = _code_text(e.smtp_code, e.smtp_error)
            if 500 <= e.smtp_code < 600:
                raise PermanentDeliveryError(f"SMTP {self.cfg.host} refused the message: {text}") from e
            raise TransientDeliveryError(f"SMTP {self.cfg.host} deferred the message: {text}") from e
        except (OSError, smtplib.SMTPException) as e:   # disconnects, timeouts
            raise TransientDeliveryError(f"SMTP {self.cfg.host}: connection lost while sending ({e})") from e
        finally:
            _quiet_quit(smtp)
        if refused:
            # some recipients accepted: the message went out; report the others (no retry,
            # that would duplicate the reply to the accepted ones)
            log.warning("SMTP %s refused %d of %d recipients", self.cfg.host, len(refused), len(recipients))

    @staticmethod
    def _raise_for(refused: dict[str, tuple[int, bytes]]) -> None:
        texts = "; ".join(_code_text(code, msg) for code, msg in refused.values())
        if any(400 <= code < 500 for code, _ in refused.values()):
            raise TransientDeliveryError(f"recipient deferred: {texts}")
        raise PermanentDeliveryError(f"recipient refused: {texts}")

