"""Helpers shared by the integration tests and bench/latency.py (plain functions, no fixtures)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from imapclient import IMAPClient
from mailservers import Dovecot

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "data" / "samples"
PASSWORD_ENV = "CONSULTANT_TEST_IMAP_PASSWORD"
BOT_PASSWORD = "botpass"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def config_data(dovecot: Dovecot, bot: str, smtp_port: int, tmp_path: Path, kb_path: Path,
                **imap: Any) -> dict[str, Any]:
    return {
        "imap": {"host": "127.0.0.1", "port": dovecot.imap_port, "security": "starttls", "ca_file": dovecot.cafile,
                 "username": bot, "password_env": PASSWORD_ENV, "processed_folder": "Processed",
                 "failed_folder": "Failed", "sent_folder": "Sent", "poll_interval": 60, "timeout": 10, **imap},
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "security": "none", "from_address": bot, "timeout": 5},
        "consult": {"allowed_senders": ["clinic.example"], "escalation_address": "lead@clinic.example",
                    "message_id_domain": "bot.example.test", "rate_limit_per_hour": 0,
                    # tests and benches send many cases from one domain; the tests of the limits set them
                    "rate_limit_per_domain_per_hour": 0, "rate_limit_total_per_hour": 0},
        "kb": {"path": str(kb_path)},
        "state": {"path": str(tmp_path / "state.sqlite")},
    }


def to_toml(data: dict[str, Any]) -> str:
    """Enough TOML for config_data (tables of strings, numbers, booleans and string lists)."""
    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'
    lines = []
    for section, table in data.items():
        lines.append(f"[{section}]")
        lines += [f"{k} = {value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


class Mailbox:
    """Look into a bot's folders the way a person with a mail client would."""

    def __init__(self, dovecot: Dovecot, user: str) -> None:
        self.dovecot, self.user = dovecot, user

    def _client(self) -> IMAPClient:
        c = IMAPClient("127.0.0.1", self.dovecot.imap_port, ssl=False, timeout=10)
        c.login(self.user, BOT_PASSWORD)
        return c

    def messages(self, folder: str) -> list[tuple[set[bytes], bytes]]:
        c = self._client()
        try:
            if not c.folder_exists(folder):
                return []
            c.select_folder(folder, readonly=True)
            uids = c.search(["ALL"])
            data = c.fetch(uids, ["FLAGS", "BODY.PEEK[]"]) if uids else {}
            # a message the bot moves away meanwhile can come back without a body: not there
            return [(set(data[u][b"FLAGS"]), bytes(data[u][b"BODY[]"])) for u in sorted(data)
                    if data[u].get(b"BODY[]") is not None]
        finally:
            c.logout()
