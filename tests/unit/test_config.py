"""Configuration: every bad key is a ConfigError naming that key; OAuth refresh over real HTTP."""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from consultant.config import TokenSource, load_config, parse_config, read_secret
from consultant.errors import ConfigError, MailboxAuthError

REPO = Path(__file__).resolve().parents[2]

IMAP = {"host": "imap.clinic.example", "username": "bot@clinic.example", "password_env": "IMAP_PW"}
SMTP = {"host": "smtp.clinic.example", "from_address": "bot@clinic.example"}


def cfg(tmp_path: Path, **sections: dict) -> object:
    return parse_config(sections, tmp_path)


def test_example_file_is_valid_and_complete() -> None:
    c = load_config(str(REPO / "config.example.toml"))
    assert c.imap is not None and c.smtp is not None
    assert c.imap.security == "tls" and c.imap.port == 993 and c.imap.idle_renew == 600
    assert c.consult.allowed_senders == ("clinic.example", "outside.coder@partner.example")
    assert c.kb.path == REPO / "var/kb.sqlite"     # relative to the file's folder
    s = c.consult_settings()
    assert s.bot_address == "consult@clinic.example"
    assert s.escalation_address == "coding-lead@clinic.example"


def test_defaults_without_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONSULTANT_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    c = load_config(None)
    assert c.imap is None and c.smtp is None
    assert c.kb.path == Path("var/kb.sqlite") and c.state.path == Path("var/state.sqlite")
    assert c.state.keep_bodies is False and c.consult.require_authentication is False


def test_env_var_and_cwd_file_are_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CONSULTANT_CONFIG", raising=False)
    (tmp_path / "config.toml").write_text('[state]\nretention_days = 7\n')
    assert load_config(None).state.retention_days == 7
    other = tmp_path / "other.toml"
    other.write_text('[state]\nretention_days = 9\n')
    monkeypatch.setenv("CONSULTANT_CONFIG", str(other))
    assert load_config(None).state.retention_days == 9


def test_defaults_in_sections(tmp_path: Path) -> None:
    c = cfg(tmp_path, imap=dict(IMAP, security="starttls"), smtp=dict(SMTP))
    assert c.imap.port == 143 and c.imap.folder == "INBOX" and c.imap.auth == "password"
    assert c.smtp.port == 465 and c.smtp.username is None


BAD = [
    ("imap.host", {"imap": {k: v for k, v in IMAP.items() if k != "host"}}),
    ("imap.security", {"imap": dict(IMAP, security="ssl")}),
    ("imap.security", {"imap": dict(IMAP, security="none")}),           # not loopback
    ("imap.port", {"imap": dict(IMAP, port=70000)}),
    ("imap.port", {"imap": dict(IMAP, port="993")}),
    ("imap.username", {"imap": {k: v for k, v in IMAP.items() if k != "username"}}),
    ("imap.password_env", {"imap": {k: v for k, v in IMAP.items() if k != "password_env"}}),
    ("imap.password_env", {"imap": dict(IMAP, password_env="my password")}),
    ("imap.auth", {"imap": dict(IMAP, auth="kerberos")}),
    ("imap.oauth", {"imap": dict(IMAP, auth="xoauth2")}),
    ("imap.oauth.token_url", {"imap": dict(IMAP, auth="xoauth2", oauth={"token_url": "http://evil.example/t",
                                                                          "client_id": "c", "refresh_token_env": "R"})}),
    ("imap.oauth.refresh_token_env", {"imap": dict(IMAP, auth="xoauth2",
                                                   oauth={"token_url": "https://x.example/t", "client_id": "c"})}),
    ("imap.oauth.client_id", {"imap": dict(IMAP, auth="xoauth2",
                                           oauth={"token_url": "https://x.example/t", "refresh_token_env": "R"})}),
    ("imap.folder", {"imap": dict(IMAP, folder="")}),
    ("imap.processed_folder", {"imap": dict(IMAP, processed_folder="INBOX")}),
    ("imap.poll_interval", {"imap": dict(IMAP, poll_interval=0)}),
    ("imap.idle", {"imap": dict(IMAP, idle="yes")}),
    ("imap.idle_renew", {"imap": dict(IMAP, idle_renew=1740)}),
    ("imap.idle_renew", {"imap": dict(IMAP, idle_renew=1800)}),
    ("imap.timeout", {"imap": dict(IMAP, timeout=-1)}),
    ("imap.ca_file", {"imap": dict(IMAP, ca_file="/nonexistent/ca.pem")}),
    ("imap.sent_folde", {"imap": dict(IMAP, sent_folde="Sent")}),          # typo
    ("smtp.from_address", {"smtp": {"host": "smtp.clinic.example"}}),
    ("smtp.from_address", {"smtp": dict(SMTP, from_address="not an address")}),
    ("smtp.security", {"smtp": dict(SMTP, security="none")}),
    ("smtp.password_env", {"smtp": dict(SMTP, username="bot")}),
    ("smtp.username", {"smtp": dict(SMTP, auth="xoauth2", oauth={"token_url": "https://x.example/t",
                                                                  "client_id": "c", "refresh_token_env": "R"})}),
    ("smtp.host", {"smtp": dict(SMTP, host="mail\r\nX-Evil: 1")}),
    ("consult.allowed_senders", {"consult": {"allowed_senders": "clinic.example"}}),
    ("consult.allowed_senders", {"consult": {"allowed_senders": ["not a domain"]}}),
    ("consult.allowed_senders", {"consult": {"allowed_senders": ["localhost"]}}),
    ("consult.allowed_senders", {"consult": {"allowed_senders": ["co.uk"]}}),          # a public suffix
    ("consult.allowed_senders", {"consult": {"allowed_senders": ["clinic.org", "@com.au"]}}),
    ("consult.escalation_address", {"consult": {"escalation_address": "lead at clinic"}}),
    ("consult.message_id_domain", {"consult": {"message_id_domain": "bad domain"}}),
    ("consult.rate_limit_per_hour", {"consult": {"rate_limit_per_hour": -1}}),
    ("consult.rate_limit_per_hour", {"consult": {"rate_limit_per_hour": 1.5}}),
    ("consult.max_message_bytes", {"consult": {"max_message_bytes": 10}}),
    ("consult.rate_limit_per_domain_per_hour", {"consult": {"rate_limit_per_domain_per_hour": -1}}),
    ("consult.rate_limit_total_per_hour", {"consult": {"rate_limit_total_per_hour": "many"}}),
    ("consult.max_replies_per_thread", {"consult": {"max_replies_per_thread": 0}}),   # loop stops stay on
    ("consult.max_followups_per_correspondent", {"consult": {"max_followups_per_correspondent": 0}}),
    ("consult.loop_window_hours", {"consult": {"loop_window_hours": 0}}),
    ("consult.authentication.require", {"consult": {"authentication": {"require": 1}}}),
    ("consult.authentication.authserv_id", {"consult": {"authentication": {"require": True}}}),
    ("consult.authentication.verify_dkim", {"consult": {"authentication": {"verify_dkim": "yes"}}}),
    ("consult.setting", {"consult": {"setting": "hospital"}}),
    ("kb.path", {"kb": {"path": 5}}),
    ("kb.update_urls.hcpcs", {"kb": {"update_urls": {"hcpcs": "ftp://x.example/h.zip"}}}),
    ("kb.update_urls", {"kb": {"update_urls": "https://x.example"}}),
    ("state.retention_days", {"state": {"retention_days": 0}}),
    ("state.keep_bodies", {"state": {"keep_bodies": "no"}}),
    ("templates.dir", {"templates": {"dir": "does-not-exist"}}),
    ("imapp", {"imapp": {}}),
]


@pytest.mark.parametrize(("key", "data"), BAD, ids=[f"{k}-{i}" for i, (k, _) in enumerate(BAD)])
def test_each_bad_key_names_itself(tmp_path: Path, key: str, data: dict) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(data, tmp_path)
    assert info.value.key == key
    assert key in str(info.value) and info.value.problem


def test_none_security_allowed_on_loopback(tmp_path: Path) -> None:
    for host in ("127.0.0.1", "localhost", "::1"):
        c = cfg(tmp_path, imap=dict(IMAP, host=host, security="none"), smtp=dict(SMTP, host=host, security="none"))
        assert c.imap.security == "none" and c.smtp.port == 25


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[imap\nhost=")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(str(bad))
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(str(tmp_path / "missing.toml"))


def test_secret_from_environment() -> None:
    assert read_secret("PW", "imap.password_env", {"PW": "s3cret"}) == "s3cret"
    with pytest.raises(ConfigError) as info:
        read_secret("PW", "imap.password_env", {})
    assert info.value.key == "imap.password_env" and "PW" in str(info.value)


class _TokenHandler(BaseHTTPRequestHandler):
    calls: ClassVar[list[dict[str, list[str]]]] = []
    status = 200

    def do_POST(self) -> None:
        form = urllib.parse.parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        type(self).calls.append(form)
        if type(self).status != 200:
            body = json.dumps({"error": "invalid_grant"}).encode()
            self.send_response(type(self).status)
        else:
            body = json.dumps({"access_token": f"tok{len(self.calls)}", "expires_in": 3600,
                               "token_type": "Bearer"}).encode()
            self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def token_server():
    _TokenHandler.calls = []
    _TokenHandler.status = 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TokenHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/token"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_oauth_refresh_against_local_token_server(tmp_path: Path, token_server: str) -> None:
    c = cfg(tmp_path, imap=dict(IMAP, auth="xoauth2", oauth={
        "token_url": token_server, "client_id": "cid", "client_secret_env": "CS", "refresh_token_env": "RT"}))
    now = [1000.0]
    src = TokenSource(c.imap.oauth, "imap.oauth", env={"CS": "secret", "RT": "refresh"}, clock=lambda: now[0])
    assert src.token() == "tok1"
    assert src.token() == "tok1"                     # cached
    now[0] += 3600                                   # past expiry (minus the minute of margin)
    assert src.token() == "tok2"
    form = _TokenHandler.calls[0]
    assert form["grant_type"] == ["refresh_token"] and form["refresh_token"] == ["refresh"]
    assert form["client_id"] == ["cid"] and form["client_secret"] == ["secret"]


def test_oauth_refresh_errors(tmp_path: Path, token_server: str) -> None:
    c = cfg(tmp_path, imap=dict(IMAP, auth="xoauth2", oauth={
        "token_url": token_server, "client_id": "cid", "refresh_token_env": "RT"}))
    _TokenHandler.status = 400
    with pytest.raises(MailboxAuthError, match="HTTP 400 invalid_grant"):
        TokenSource(c.imap.oauth, "imap.oauth", env={"RT": "r"}).token()
    with pytest.raises(ConfigError) as info:
        TokenSource(c.imap.oauth, "imap.oauth", env={}).token()
    assert info.value.key == "imap.oauth.refresh_token_env"


def test_authentication_settings_reach_the_pipeline(tmp_path: Path) -> None:
    c = cfg(tmp_path, consult={"authentication": {"require": True, "authserv_id": "mx.clinic.example"}})
    s = c.consult_settings()
    assert s.require_authentication is True and s.authserv_id == "mx.clinic.example"
    off = cfg(tmp_path, consult={"authentication": {"authserv_id": "mx.clinic.example"}}).consult_settings()
    assert off.require_authentication is False and off.authserv_id == "mx.clinic.example"
    assert cfg(tmp_path).consult_settings().authserv_id is None
    with pytest.raises(ConfigError, match="authserv_id"):
        cfg(tmp_path, consult={"authentication": {"require": True, "authserv_id": ""}})


def test_the_care_setting_reaches_the_pipeline(tmp_path: Path) -> None:
    assert cfg(tmp_path).consult_settings().setting == "outpatient"
    assert cfg(tmp_path, consult={"setting": "inpatient"}).consult_settings().setting == "inpatient"


def test_answer_limits_have_defaults_and_rate_zero_leaves_loop_stops_on(tmp_path: Path) -> None:
    limits = parse_config({}, tmp_path).consult.exchange_limits()
    assert (limits.per_correspondent_per_hour, limits.per_domain_per_hour, limits.total_per_hour) == (20, 100, 300)
    assert limits.max_replies_per_thread == 6 and limits.loop_window_seconds == 86400
    off = parse_config({"consult": {"rate_limit_per_hour": 0, "rate_limit_per_domain_per_hour": 0,
                                    "rate_limit_total_per_hour": 0}}, tmp_path).consult.exchange_limits()
    assert off.per_correspondent_per_hour == off.per_domain_per_hour == off.total_per_hour == 0
    assert off.max_replies_per_thread == 6 and off.max_followups_per_correspondent == 12


def test_example_file_documents_every_answer_limit() -> None:
    text = (Path(__file__).resolve().parents[2] / "config.example.toml").read_text()
    for key in ("rate_limit_per_domain_per_hour", "rate_limit_total_per_hour", "max_replies_per_thread",
                "max_followups_per_correspondent", "loop_window_hours"):
        assert f"\n{key} = " in text, key


def test_verify_dkim_gives_the_pipeline_a_resolver(tmp_path: Path) -> None:
    assert parse_config({}, tmp_path).consult_settings().dkim_dns is None
    on = parse_config({"consult": {"authentication": {"require": True, "authserv_id": "mx.clinic.example",
                                                      "verify_dkim": True}}}, tmp_path)
    assert callable(on.consult_settings().dkim_dns)

def test_state_url_selects_postgresql_with_the_password_from_the_environment(tmp_path: Path) -> None:
    import tomllib

    def state(extra: str) -> Any:
        return parse_config(tomllib.loads("[state]\n" + extra), tmp_path).state

    s = state('url = "postgresql://bot@db.example:5432/cc"\npassword_env = "CC_DB_PASSWORD"\n')
    assert s.target({"CC_DB_PASSWORD": "p@ss word"}) == "postgresql://bot:p%40ss%20word@db.example:5432/cc"
    with pytest.raises(ConfigError, match="CC_DB_PASSWORD is not set"):
        s.target({})
    assert state("").target() == tmp_path / "var/state.sqlite"
    with pytest.raises(ConfigError, match="state.url.*password"):
        state('url = "postgresql://bot:secret@db.example/cc"\n')
    with pytest.raises(ConfigError, match="state.url.*postgresql://"):
        state('url = "mysql://bot@db.example/cc"\n')
    # shared analysis: on with a shared ledger, off with the file; either can be chosen
    assert s.share_analysis and not state("").share_analysis
    assert not state('url = "postgresql://bot@db/cc"\nshare_analysis = false\n').share_analysis
    assert state("share_analysis = true\n").share_analysis
    with pytest.raises(ConfigError, match="state.share_analysis"):
        state('share_analysis = "yes"\n')


MAILBOXES = """
[imap]
host = "imap.clinic.example"
username = "consult@clinic.example"
password_env = "IMAP_PW"

[smtp]
host = "smtp.clinic.example"
from_address = "consult@clinic.example"

[consult]
allowed_senders = ["clinic.example"]
escalation_address = "lead@clinic.example"
setting = "outpatient"

[[mailbox]]
name = "cardiology"
imap = { username = "cardio-consult@clinic.example" }
consult = { escalation_address = "cardio-lead@clinic.example" }

[[mailbox]]
name = "inpatient"
imap = { username = "ip-consult@clinic.example", folder = "Cases" }
consult = { setting = "inpatient", allowed_senders = ["hospital.example"] }

[[mailbox]]
name = "billing-co"
imap = { host = "imap.billing.example", username = "bot@billing.example", password_env = "BILLING_PW" }
smtp = { host = "smtp.billing.example", from_address = "bot@billing.example" }
"""


def test_several_mailboxes_inherit_what_they_do_not_set(tmp_path: Path) -> None:
    import tomllib

    cfg = parse_config(tomllib.loads(MAILBOXES), tmp_path)
    cardio, inpatient, billing = cfg.served()
    assert [c.name for c in cfg.served()] == ["cardiology", "inpatient", "billing-co"]
    assert cardio.imap is not None and cardio.imap.host == "imap.clinic.example"            # inherited
    assert cardio.imap.username == "cardio-consult@clinic.example"                           # its own
    assert cardio.consult.escalation_address == "cardio-lead@clinic.example"
    assert cardio.consult.allowed_senders == ("clinic.example",)
    assert inpatient.consult.setting == "inpatient" and inpatient.imap is not None and inpatient.imap.folder == "Cases"
    assert inpatient.consult.allowed_senders == ("hospital.example",)
    assert inpatient.consult.escalation_address == "lead@clinic.example"
    assert billing.bot_address == "bot@billing.example" and billing.imap is not None
    assert billing.imap.password_env == "BILLING_PW"
    assert cardio.state == billing.state == cfg.state                                         # one shared ledger


def test_a_single_mailbox_file_serves_itself(tmp_path: Path) -> None:
    import tomllib

    cfg = parse_config(tomllib.loads(MAILBOXES.split("[[mailbox]]")[0]), tmp_path)
    assert cfg.served() == (cfg,) and cfg.name == "default"


@pytest.mark.parametrize(("extra", "message"), [
    ('[[mailbox]]\nimap = { username = "x@clinic.example" }\n', r"mailbox\[4\]\.name.*required"),
    ('[[mailbox]]\nname = "cardiology"\nimap = { username = "z@clinic.example" }\n', "used twice"),
    ('[[mailbox]]\nname = "dup"\nimap = { username = "cardio-consult@clinic.example" }\n', "same account and folder"),
    ('[[mailbox]]\nname = "x"\nstate = { path = "other.sqlite" }\n', r"mailbox\[4\]\.state.*shared"),
    ('[[mailbox]]\nname = "bad"\nconsult = { setting = "sometimes" }\n', r"mailbox 'bad': consult\.setting"),
])
def test_mailbox_errors_name_the_mailbox_and_key(tmp_path: Path, extra: str, message: str) -> None:
    import tomllib

    with pytest.raises(ConfigError, match=message):
        parse_config(tomllib.loads(MAILBOXES + extra), tmp_path)
