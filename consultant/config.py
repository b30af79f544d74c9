"""Configuration: one TOML file read with `tomllib` into validated, frozen dataclasses.

Every problem is a `ConfigError(key, problem)` naming the dotted key and what is wrong, so
`consultant check-config` (and every command) stops at start with exit code 2 and a message
that says what to fix. Secrets are never in the file: the file names environment variables
(`password_env`, `client_secret_env`, `refresh_token_env`) that are read only when connecting,
and no secret value is ever logged.

    >>> cfg = load_config(None)            # doctest: +SKIP
    >>> cfg.kb.path
    PosixPath('var/kb.sqlite')

Where the file is: the `--config` path; else `$CONSULTANT_CONFIG`; else `./config.toml` if
present; else built-in defaults (no IMAP, no SMTP: enough for `answer`, `lookup`, `kb`).
Relative paths in a file are relative to the file's folder.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import threading
import time
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from email.headerregistry import Address
from pathlib import Path
from typing import TYPE_CHECKING, Any

from consultant.errors import ConfigError, MailboxAuthError

if TYPE_CHECKING:
    from consultant.mail.limits import ExchangeLimits
    from consultant.pipeline import ConsultSettings

log = logging.getLogger(__name__)

SECURITY_CHOICES = ("tls", "starttls", "none")
AUTH_CHOICES = ("password", "xoauth2")
IDLE_RENEW_MAX = 1740   # RFC 2177: servers may drop an IDLE after 30 min; renew before 29
DEFAULT_PORTS = {"imap": {"tls": 993, "starttls": 143, "none": 143},
                 "smtp": {"tls": 465, "starttls": 587, "none": 25}}


# --------------------------------------------------------------------------- dataclasses
@dataclass(frozen=True)
class OAuthConfig:
    """Where to refresh an OAuth2 access token (XOAUTH2) and which env vars hold the secrets."""

    token_url: str
    client_id: str
    client_secret_env: str | None
    refresh_token_env: str


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int
    security: str
    username: str
    password_env: str | None
    auth: str = "password"
    oauth: OAuthConfig | None = None
    folder: str = "INBOX"
    processed_folder: str = "Consult/Processed"
    failed_folder: str = "Consult/Failed"
    sent_folder: str = "Sent"
    poll_interval: float = 60.0
    idle: bool = True
    idle_renew: float = 600.0
    timeout: float = 30.0
    ca_file: Path | None = None


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: str
    username: str | None
    password_env: str | None
    from_address: str
    timeout: float = 30.0
    ca_file: Path | None = None
    auth: str = "password"
    oauth: OAuthConfig | None = None


@dataclass(frozen=True)
class ConsultConfig:
    allowed_senders: tuple[str, ...] = ()
    escalation_address: str | None = None
    message_id_domain: str = "caseconsultant.invalid"
    rate_limit_per_hour: int = 20
    max_message_bytes: int = 25 * 1024 * 1024
    require_authentication: bool = False
    authserv_id: str | None = None
    setting: str = "outpatient"
    # answer limits (issue 9): rate limits per hour (0 = off) and loop stops (always on)
    rate_limit_per_domain_per_hour: int = 100
    rate_limit_total_per_hour: int = 300
    max_replies_per_thread: int = 6
    max_followups_per_correspondent: int = 12
    loop_window_hours: float = 24.0
    verify_dkim: bool = False          # [consult.authentication]: DKIM checked by the bot when no header is trusted

    def exchange_limits(self) -> ExchangeLimits:
        """The limits `Ledger.admit_exchange` applies to each answer."""
        from consultant.mail.limits import ExchangeLimits

        return ExchangeLimits(
            per_correspondent_per_hour=self.rate_limit_per_hour,
            per_domain_per_hour=self.rate_limit_per_domain_per_hour,
            total_per_hour=self.rate_limit_total_per_hour,
            max_replies_per_thread=self.max_replies_per_thread,
            max_followups_per_correspondent=self.max_followups_per_correspondent,
            loop_window_seconds=self.loop_window_hours * 3600.0,
        )


@dataclass(frozen=True)
class KbConfig:
    path: Path = Path("var/kb.sqlite")
    update_urls: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StateConfig:
    path: Path = Path("var/state.sqlite")
    retention_days: int = 90
    keep_bodies: bool = False
    url: str | None = None               # postgresql://user@host/db: a ledger shared by hosts
    password_env: str | None = None      # the variable holding the database password (never in the file)
    share_analysis: bool = False         # the watcher queues what it reads; every instance's worker analyses

    def target(self, env: Mapping[str, str] | None = None) -> str | Path:
        """What the ledger opens: the PostgreSQL URL (its password put in from the environment)
        when `url` is set, else the SQLite file."""
        if self.url is None:
            return self.path
        if self.password_env is None:
            return self.url
        password = (os.environ if env is None else env).get(self.password_env)
        if not password:
            raise ConfigError("state.password_env", f"environment variable {self.password_env} is not set")
        scheme, rest = self.url.split("://", 1)
        userinfo, _, hostpart = rest.rpartition("@")
        if not userinfo:
            raise ConfigError("state.url", "names no user: write postgresql://USER@HOST/DATABASE")
        return f"{scheme}://{userinfo}:{urllib.parse.quote(password, safe='')}@{hostpart}"


@dataclass(frozen=True)
class TemplatesConfig:
    dir: Path | None = None


@dataclass(frozen=True)
class Config:
    imap: ImapConfig | None = None
    smtp: SmtpConfig | None = None
    consult: ConsultConfig = field(default_factory=ConsultConfig)
    kb: KbConfig = field(default_factory=KbConfig)
    state: StateConfig = field(default_factory=StateConfig)
    templates: TemplatesConfig = field(default_factory=TemplatesConfig)
    source: Path | None = None      # the file this came from (None: built-in defaults)
    name: str = "default"           # the mailbox's name in logs and `status` ([[mailbox]] name)
    mailboxes: tuple[Config, ...] = ()   # [[mailbox]] entries, each a whole configuration

    def served(self) -> tuple[Config, ...]:
        """One configuration per consult mailbox: the [[mailbox]] entries, or this file itself
        when it has none (the single-mailbox file of before keeps working)."""
        return self.mailboxes or (self,)

    @property
    def bot_address(self) -> str:
        """The consult address: SMTP From, else the IMAP user name, else a placeholder."""
        if self.smtp is not None:
            return self.smtp.from_address
        if self.imap is not None and "@" in self.imap.username:
            return self.imap.username
        return "consultant@localhost"

    def consult_settings(self) -> ConsultSettings:
        """What the pure pipeline needs of this deployment."""
        from consultant.pipeline import ConsultSettings

        return ConsultSettings(
            bot_address=self.bot_address,
            allowed_senders=self.consult.allowed_senders,
            escalation_address=self.consult.escalation_address,
            message_id_domain=self.consult.message_id_domain,
            templates_dir=self.templates.dir,
            require_authentication=self.consult.require_authentication,
            authserv_id=self.consult.authserv_id,
            setting=self.consult.setting,
            dkim_dns=_dkim_dns() if self.consult.verify_dkim else None,
        )


def _public_suffix(domain: str) -> bool:
    from consultant.mail.authentication import organisational_domain

    return organisational_domain(domain) is None


def _dkim_dns() -> Any:
    from consultant.mail.dkim_check import resolver_dns

    return resolver_dns()


# --------------------------------------------------------------------------- reading
class _Table:
    """Typed access to one TOML table; remembers the keys read so unknown ones are errors."""

    def __init__(self, data: Mapping[str, Any], prefix: str, base: Path) -> None:
        self.data, self.prefix, self.base = data, prefix, base
        self.seen: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def raw(self, name: str) -> Any:
        self.seen.add(name)
        return self.data.get(name)

    def text(self, name: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = self.raw(name)
        if value is None:
            if required:
                raise ConfigError(self.key(name), "is required but missing")
            return default
        if not isinstance(value, str):
            raise ConfigError(self.key(name), f"must be a string, got {value!r}")
        if "\r" in value or "\n" in value:
            raise ConfigError(self.key(name), "must be one line (no CR or LF)")
        if required and not value.strip():
            raise ConfigError(self.key(name), "must not be empty")
        return value.strip()

    def req(self, name: str) -> str:
        value = self.text(name, required=True)
        assert value is not None
        return value

    def choice(self, name: str, choices: tuple[str, ...], default: str) -> str:
        value = self.text(name, default)
        assert value is not None
        if value not in choices:
            raise ConfigError(self.key(name), f"must be one of {', '.join(choices)}; got {value!r}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self.raw(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise ConfigError(self.key(name), f"must be true or false, got {value!r}")
        return value

    def number(self, name: str, default: float, *, minimum: float = 0, maximum: float | None = None,
               integer: bool = False, exclusive_max: bool = False) -> float:
        value = self.raw(name)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float) or (integer and not isinstance(value, int)):
            kind = "a whole number" if integer else "a number"
            raise ConfigError(self.key(name), f"must be {kind}, got {value!r}")
        if value < minimum:
            raise ConfigError(self.key(name), f"must be at least {minimum:g}, got {value!r}")
        if maximum is not None and (value >= maximum if exclusive_max else value > maximum):
            word = "less than" if exclusive_max else "at most"
            raise ConfigError(self.key(name), f"must be {word} {maximum:g}, got {value!r}")
        return value if integer else float(value)

    def whole(self, name: str, default: int, **kw: Any) -> int:
        return int(self.number(name, default, integer=True, **kw))

    def path(self, name: str, default: Path | None, *, must_exist: bool = False) -> Path | None:
        value = self.text(name)
        if value is None:
            return default
        if not value:
            raise ConfigError(self.key(name), "must not be empty")
        path = Path(value).expanduser()
        if not path.is_absolute():
            path = self.base / path
        if must_exist and not path.exists():
            raise ConfigError(self.key(name), f"file {str(path)!r} does not exist")
        return path

    def env_name(self, name: str, *, required: bool = False) -> str | None:
        value = self.text(name, required=required)
        if value is not None and (not value or not value.replace("_", "A").isalnum() or value[0].isdigit()):
            raise ConfigError(self.key(name), f"must be the NAME of an environment variable, got {value!r}")
        return value

    def table(self, name: str) -> Mapping[str, Any] | None:
        value = self.raw(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise ConfigError(self.key(name), f"must be a table ([{self.key(name)}]), got {value!r}")
        return value

    def finish(self) -> None:
        unknown = sorted(set(self.data) - self.seen)
        if unknown:
            raise ConfigError(self.key(unknown[0]), "is not a known setting (check the spelling "
                              "against config.example.toml)")


def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _address(t: _Table, name: str, *, required: bool = False) -> str | None:
    value = t.text(name, required=required)
    if value is None:
        return None
    try:
        addr = Address(addr_spec=value)
    except Exception as e:  # email.errors.HeaderParseError and ValueError
        raise ConfigError(t.key(name), f"is not an e-mail address: {value!r} ({e})") from e
    if not addr.domain or not addr.username:
        raise ConfigError(t.key(name), f"is not an e-mail address: {value!r}")
    return addr.addr_spec.lower()


def _domain(t: _Table, name: str, default: str) -> str:
    value = t.text(name, default)
    assert value is not None
    labels = value.split(".")
    if not value or any(not lab or not lab.replace("-", "a").isalnum() for lab in labels):
        raise ConfigError(t.key(name), f"must be a domain name like example.org, got {value!r}")
    return value.lower()


def _oauth(parent: _Table) -> OAuthConfig | None:
    data = parent.table("oauth")
    if data is None:
        return None
    t = _Table(data, parent.key("oauth"), parent.base)
    url = t.req("token_url")
    scheme = urllib.parse.urlsplit(url).scheme
    host = urllib.parse.urlsplit(url).hostname or ""
    if scheme not in ("https", "http") or (scheme == "http" and not _is_loopback(host)):
        raise ConfigError(t.key("token_url"), f"must be an https:// URL (http only on loopback), got {url!r}")
    out = OAuthConfig(token_url=url, client_id=t.req("client_id"),
                      client_secret_env=t.env_name("client_secret_env"),
                      refresh_token_env=t.env_name("refresh_token_env", required=True) or "")
    t.finish()
    return out


def _security(t: _Table, host: str) -> str:
    security = t.choice("security", SECURITY_CHOICES, "tls")
    if security == "none" and not _is_loopback(host):
        raise ConfigError(t.key("security"), f'"none" sends passwords in clear text; it is only allowed '
                          f"for a loopback host, not {host!r}: use \"tls\" or \"starttls\"")
    return security


def _endpoint(t: _Table, kind: str) -> tuple[str, str, int]:
    """host, security and port (default port by protocol and security)."""
    host = t.req("host")
    security = _security(t, host)
    return host, security, t.whole("port", DEFAULT_PORTS[kind][security], minimum=1, maximum=65535)


def _auth(t: _Table) -> tuple[str, OAuthConfig | None]:
    auth = t.choice("auth", AUTH_CHOICES, "password")
    oauth = _oauth(t)
    if auth == "xoauth2" and oauth is None:
        raise ConfigError(t.key("oauth"), 'auth = "xoauth2" needs a [' + t.key("oauth") + "] table")
    if auth == "password" and oauth is not None:
        raise ConfigError(t.key("auth"), 'an oauth table is given but auth is "password": set auth = "xoauth2"')
    return auth, oauth


def _imap(data: Mapping[str, Any], base: Path) -> ImapConfig:
    t = _Table(data, "imap", base)
    host, security, port = _endpoint(t, "imap")
    username = t.req("username")
    password_env = t.env_name("password_env")
    auth, oauth = _auth(t)
    if auth == "password" and password_env is None:
        raise ConfigError(t.key("password_env"), "is required with auth = \"password\" "
                          "(the NAME of the environment variable holding the password)")
    folders = {}
    for name, default in (("folder", "INBOX"), ("processed_folder", "Consult/Processed"),
                          ("failed_folder", "Consult/Failed"), ("sent_folder", "Sent")):
        folders[name] = t.text(name, default) or ""
        if not folders[name]:
            raise ConfigError(t.key(name), "must not be empty")
    if folders["processed_folder"] == folders["folder"] or folders["failed_folder"] == folders["folder"]:
        raise ConfigError(t.key("processed_folder"), "processed and failed folders must differ from the watched folder")
    out = ImapConfig(
        host=host, port=port, security=security, username=username, password_env=password_env,
        auth=auth, oauth=oauth, **folders,
        poll_interval=t.number("poll_interval", 60.0, minimum=1),
        idle=t.flag("idle", True),
        idle_renew=t.number("idle_renew", 600.0, minimum=1, maximum=IDLE_RENEW_MAX, exclusive_max=True),
        timeout=t.number("timeout", 30.0, minimum=1),
        ca_file=t.path("ca_file", None, must_exist=True),
    )
    t.finish()
    return out


def _smtp(data: Mapping[str, Any], base: Path, imap: ImapConfig | None) -> SmtpConfig:
    t = _Table(data, "smtp", base)
    host, security, port = _endpoint(t, "smtp")
    username = t.text("username")
    password_env = t.env_name("password_env")
    auth, oauth = _auth(t)
    if username and auth == "password" and password_env is None:
        raise ConfigError(t.key("password_env"), "is required when smtp.username is set")
    if auth == "xoauth2" and not username:
        raise ConfigError(t.key("username"), 'is required with auth = "xoauth2"')
    from_address = _address(t, "from_address")
    if from_address is None:
        if imap is not None and "@" in imap.username:
            from_address = imap.username.lower()
        else:
            raise ConfigError(t.key("from_address"), "is required (the consult address replies come from)")
    out = SmtpConfig(host=host, port=port, security=security, username=username or None,
                     password_env=password_env, from_address=from_address,
                     timeout=t.number("timeout", 30.0, minimum=1),
                     ca_file=t.path("ca_file", None, must_exist=True), auth=auth, oauth=oauth)
    t.finish()
    return out


def _consult(data: Mapping[str, Any], base: Path) -> ConsultConfig:
    t = _Table(data, "consult", base)
    raw_senders = t.raw("allowed_senders")
    senders: list[str] = []
    if raw_senders is not None:
        if not isinstance(raw_senders, list) or not all(isinstance(s, str) for s in raw_senders):
            raise ConfigError(t.key("allowed_senders"), f"must be a list of strings, got {raw_senders!r}")
        for s in raw_senders:
            s = s.strip().lower().lstrip("@")
            local, _, dom = s.rpartition("@")
            labels = dom.split(".")
            if (not s or any(c.isspace() for c in s) or s.count("@") > 1 or len(labels) < 2
                    or any(not lab for lab in labels) or ("@" in s and not local)):
                raise ConfigError(t.key("allowed_senders"),
                                  f"entry {s!r} is neither an address (coder@clinic.org) nor a domain (clinic.org)")
            if "@" not in s and _public_suffix(s):
                raise ConfigError(t.key("allowed_senders"),
                                  f"entry {s!r} is a public suffix (like com or co.uk): it would let anyone ask; "
                                  "name your own domain")
            senders.append(s)
    auth = _Table(t.table("authentication") or {}, "consult.authentication", base)
    require = auth.flag("require", False)
    authserv_id = auth.text("authserv_id")
    verify_dkim = auth.flag("verify_dkim", False)
    auth.finish()
    if require and not authserv_id:
        raise ConfigError("consult.authentication.authserv_id",
                          "is required when require = true (the id your receiving server writes "
                          "in Authentication-Results, e.g. mx.clinic.org)")
    out = ConsultConfig(
        allowed_senders=tuple(senders),
        escalation_address=_address(t, "escalation_address"),
        message_id_domain=_domain(t, "message_id_domain", "caseconsultant.invalid"),
        rate_limit_per_hour=t.whole("rate_limit_per_hour", 20, minimum=0),
        max_message_bytes=t.whole("max_message_bytes", 25 * 1024 * 1024, minimum=1024),
        require_authentication=require,
        authserv_id=authserv_id,
        setting=t.choice("setting", ("outpatient", "inpatient"), "outpatient"),
        rate_limit_per_domain_per_hour=t.whole("rate_limit_per_domain_per_hour", 100, minimum=0),
        rate_limit_total_per_hour=t.whole("rate_limit_total_per_hour", 300, minimum=0),
        # loop stops cannot be turned off: at least 1, so a thread is always answered once
        max_replies_per_thread=t.whole("max_replies_per_thread", 6, minimum=1, maximum=1000),
        max_followups_per_correspondent=t.whole("max_followups_per_correspondent", 12, minimum=1, maximum=10000),
        loop_window_hours=t.number("loop_window_hours", 24.0, minimum=1, maximum=24 * 30),
        verify_dkim=verify_dkim,
    )
    t.finish()
    return out


def _kb(data: Mapping[str, Any], base: Path) -> KbConfig:
    t = _Table(data, "kb", base)
    path = t.path("path", base / "var/kb.sqlite")
    urls_raw = t.table("update_urls") or {}
    urls: dict[str, str] = {}
    for kind, url in urls_raw.items():
        key = f"kb.update_urls.{kind}"
        if not isinstance(url, str):
            raise ConfigError(key, f"must be a URL string, got {url!r}")
        if urllib.parse.urlsplit(url).scheme not in ("https", "http", "file"):
            raise ConfigError(key, f"must be an https://, http:// or file:// URL, got {url!r}")
        urls[str(kind)] = url
    t.finish()
    assert path is not None
    return KbConfig(path=path, update_urls=urls)


def _state(data: Mapping[str, Any], base: Path) -> StateConfig:
    t = _Table(data, "state", base)
    url = t.text("url")
    if url is not None:
        if not url.startswith(("postgresql://", "postgres://")):
            raise ConfigError("state.url", "must start with postgresql:// (leave it out for the SQLite file)")
        userinfo = url.split("://", 1)[1].rpartition("@")[0]
        if ":" in userinfo:
            raise ConfigError("state.url", "holds a password: put it in an environment variable named by "
                              "state.password_env instead")
    out = StateConfig(path=t.path("path", base / "var/state.sqlite") or Path(),
                      retention_days=t.whole("retention_days", 90, minimum=1),
                      keep_bodies=t.flag("keep_bodies", False),
                      url=url, password_env=t.env_name("password_env"),
                      share_analysis=t.flag("share_analysis", url is not None))
    t.finish()
    return out


def _templates(data: Mapping[str, Any], base: Path) -> TemplatesConfig:
    t = _Table(data, "templates", base)
    directory = t.path("dir", None)
    if directory is not None and not directory.is_dir():
        raise ConfigError("templates.dir", f"folder {str(directory)!r} does not exist")
    t.finish()
    return TemplatesConfig(dir=directory)


MAILBOX_TABLES = ("imap", "smtp", "consult", "templates")   # what a [[mailbox]] may set for itself
SHARED_TABLES = ("kb", "state")                             # one knowledge base and one ledger for all


def _merged(defaults: Mapping[str, Any], own: Mapping[str, Any]) -> dict[str, Any]:
    """`own` over `defaults`, table by table (a mailbox's [mailbox.consult] keys replace the
    same keys of the top-level [consult]; keys it does not set are inherited)."""
    out = dict(defaults)
    for key, value in own.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = value
    return out


def _mailboxes(entries: Any, data: Mapping[str, Any], base: Path, source: Path | None) -> tuple[Config, ...]:
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ConfigError("mailbox", "must be a list of [[mailbox]] tables")
    defaults = {k: v for k, v in data.items() if k in MAILBOX_TABLES or k in SHARED_TABLES}
    out: list[Config] = []
    for i, entry in enumerate(entries, 1):
        name = entry.get("name")
        where = f"mailbox[{i}]"
        if not isinstance(name, str) or not name.strip() or not name.replace("-", "_").isidentifier():
            raise ConfigError(f"{where}.name", "is required: a short name of letters, digits, - and _ "
                              "(it names the mailbox in logs and `consultant status`)")
        unknown = sorted(set(entry) - {"name", *MAILBOX_TABLES})
        if unknown:
            raise ConfigError(f"{where}.{unknown[0]}", f"is not a mailbox setting: a [[mailbox]] may set "
                              f"{', '.join(MAILBOX_TABLES)} (kb and state are shared by all mailboxes)")
        own = {k: v for k, v in entry.items() if k != "name"}
        try:
            cfg = parse_config(_merged(defaults, own), base, source)
        except ConfigError as e:
            raise ConfigError(f"mailbox {name!r}: {e.key}", e.problem) from e
        if cfg.imap is None:
            raise ConfigError(f"{where}.imap", f"mailbox {name!r} has no IMAP account: set [mailbox.imap] or "
                              "a top-level [imap] it inherits")
        out.append(replace(cfg, name=name))
    names = [c.name for c in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError("mailbox.name", f"{dupes[0]!r} is used twice: each mailbox needs its own name")
    accounts = [(c.imap.host, c.imap.port, c.imap.username.lower(), c.imap.folder) for c in out if c.imap]
    if len(set(accounts)) != len(accounts):
        raise ConfigError("mailbox.imap", "two mailboxes watch the same account and folder: one would "
                          "answer what the other already answered")
    return tuple(out)


def parse_config(data: Mapping[str, Any], base: Path, source: Path | None = None) -> Config:
    """Validate an already-parsed TOML document (paths relative to `base`)."""
    if "mailbox" in data:
        rest = {k: v for k, v in data.items() if k != "mailbox"}
        single = parse_config(rest, base, source)
        return replace(single, mailboxes=_mailboxes(data["mailbox"], rest, base, source))
    top = _Table(data, "", base)
    imap_t, smtp_t = top.table("imap"), top.table("smtp")
    imap = _imap(imap_t, base) if imap_t is not None else None
    smtp = _smtp(smtp_t, base, imap) if smtp_t is not None else None
    cfg = Config(
        imap=imap, smtp=smtp,
        consult=_consult(top.table("consult") or {}, base),
        kb=_kb(top.table("kb") or {}, base),
        state=_state(top.table("state") or {}, base),
        templates=_templates(top.table("templates") or {}, base),
        source=source,
    )
    top.finish()
    return cfg


def load_config(path: str | None) -> Config:
    """Read and validate the configuration (see the module docstring for where it is looked for)."""
    chosen: Path | None
    if path is not None:
        chosen = Path(path)
    elif os.environ.get("CONSULTANT_CONFIG"):
        chosen = Path(os.environ["CONSULTANT_CONFIG"])
    elif Path("config.toml").is_file():
        chosen = Path("config.toml")
    else:
        return Config(kb=KbConfig(path=Path("var/kb.sqlite")), state=StateConfig(path=Path("var/state.sqlite")))
    try:
        text = chosen.read_bytes()
    except OSError as e:
        raise ConfigError("(file)", f"cannot read {str(chosen)!r}: {e.strerror}; pass --config FILE "
                          "or copy config.example.toml to config.toml") from e
    try:
        data = tomllib.loads(text.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError("(file)", f"{str(chosen)!r} is not valid TOML: {e}") from e
    return parse_config(data, chosen.resolve().parent, source=chosen.resolve())


# --------------------------------------------------------------------------- secrets
def read_secret(env_name: str | None, key: str, env: Mapping[str, str] | None = None) -> str:
    """The value of the environment variable the configuration names (raises ConfigError)."""
    env = os.environ if env is None else env
    if not env_name:
        raise ConfigError(key, "no environment variable is named for this secret")
    value = env.get(env_name)
    if not value:
        raise ConfigError(key, f"environment variable {env_name} is not set or empty: export it "
                          "before starting (the secret itself never goes into the file)")
    return value


Opener = Callable[[urllib.request.Request, float], Any]


class TokenSource:
    """Access tokens for XOAUTH2, refreshed from the token endpoint with a refresh token.

    Cached until a minute before expiry; one instance per server connection config.
    """

    def __init__(self, oauth: OAuthConfig, key: str, *, env: Mapping[str, str] | None = None,
                 opener: Opener | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.oauth, self.key, self.env = oauth, key, env
        self._open = opener or (lambda req, timeout: urllib.request.urlopen(req, timeout=timeout))
        self._clock = clock
        self._token: str | None = None
        self._expires = 0.0
        self._lock = threading.Lock()

    def token(self, *, force: bool = False) -> str:
        with self._lock:
            if force or self._token is None or self._clock() >= self._expires:
                self._token, lifetime = self._refresh()
                self._expires = self._clock() + max(0.0, lifetime - 60)
            return self._token

    def _refresh(self) -> tuple[str, float]:
        o = self.oauth
        form = {"grant_type": "refresh_token", "client_id": o.client_id,
                "refresh_token": read_secret(o.refresh_token_env, f"{self.key}.refresh_token_env", self.env)}
        if o.client_secret_env:
            form["client_secret"] = read_secret(o.client_secret_env, f"{self.key}.client_secret_env", self.env)
        req = urllib.request.Request(o.token_url, data=urllib.parse.urlencode(form).encode(),
                                     headers={"Content-Type": "application/x-www-form-urlencoded",
                                              "Accept": "application/json"}, method="POST")
        try:
            with self._open(req, 30) as resp:
                body = json.loads(resp.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            detail = ""
            try:
                detail = str(json.loads(e.read().decode("utf-8")).get("error", ""))
            except Exception:  # noqa: BLE001 - the error body is only a hint
                pass
            raise MailboxAuthError(f"token refresh at {o.token_url} failed with HTTP {e.code} {detail}: "
                                   "check client_id and the refresh token") from e
        except (urllib.error.URLError, OSError, ValueError) as e:
            raise MailboxAuthError(f"token refresh at {o.token_url} failed: {e}") from e
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise MailboxAuthError(f"token endpoint {o.token_url} answered without an access_token")
        try:
            lifetime = float(body.get("expires_in", 3600))
        except (TypeError, ValueError):
            lifetime = 3600.0
        log.info("refreshed OAuth2 access token from %s (valid %d s)", o.token_url, lifetime)
        return token, lifetime
