"""Several consult mailboxes served from one configuration file and one ledger: each case is
answered from its own mailbox's account, each mailbox keeps its own cursor, filing and outbox,
and `status` reports them one by one."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import Any

from support import Mailbox, config_data, sample

from consultant.cli import main
from consultant.config import parse_config
from consultant.service import StopSignal, build_consultants, run_daemon


def _case(n: int) -> bytes:
    raw = sample("01-loop-colostomy.eml").replace(b"<sample-colostomy-1@", f"<mb-case-{n}@".encode())
    # a different case text each: the same text from one coder three times would be a loop stop
    return raw.replace(b"Subject: ", f"Subject: [{n}] ".encode(), 1).rstrip() + f"\r\nCase number {n}.\r\n".encode()


def test_three_mailboxes_from_one_file(dovecot: Any, smtp: Any, tmp_path: Path, kb_path: Path, knowledge_factory: Any,
                                       capsys: Any) -> None:
    from conftest import BOTS, _next_bot

    bots = [BOTS[next(_next_bot)] for _ in range(3)]
    data: dict[str, Any] = config_data(dovecot, bots[0], smtp.port, tmp_path, kb_path, poll_interval=2, idle=True)
    data["mailbox"] = [
        {"name": "general", "imap": {"username": bots[0]}, "smtp": {"from_address": bots[0]}},
        {"name": "cardiology", "imap": {"username": bots[1]}, "smtp": {"from_address": bots[1]},
         "consult": {"escalation_address": "cardio-lead@clinic.example"}},
        {"name": "billing", "imap": {"username": bots[2]}, "smtp": {"from_address": bots[2]}},
    ]
    config = parse_config(data, tmp_path)
    served = build_consultants(config, knowledge_factory=knowledge_factory)
    assert [c.mailbox for c in served] == ["general/INBOX", "cardiology/INBOX", "billing/INBOX"]
    assert len({id(c.ledger) for c in served}) == 1            # one ledger for all
    stop = StopSignal()
    daemon = threading.Thread(target=run_daemon, args=(served, stop), daemon=True)
    daemon.start()
    try:
        for n, bot in enumerate(bots):
            dovecot.deliver(_case(n), rcpt=bot)
        got = smtp.wait_for(3, timeout=60)
        deadline = time.monotonic() + 30
        while any(Mailbox(dovecot, b).messages("INBOX") for b in bots):
            assert time.monotonic() < deadline, "not every mailbox filed its case"
            time.sleep(0.2)
    finally:
        stop.set()
        daemon.join(30)
    replies = {m.mail_from: re.search(rb"^In-Reply-To: (\S+)", m.data, re.M | re.I) for m in got}
    assert set(replies) == set(bots)                           # each answered from its own account
    for n, bot in enumerate(bots):
        match = replies[bot]
        assert match is not None and match.group(1) == f"<mb-case-{n}@clinic.example>".encode()
        assert len(Mailbox(dovecot, bot).messages("Processed")) == 1
        assert len(Mailbox(dovecot, bot).messages("Sent")) == 1
    ledger = served[0].ledger
    assert {m for m in ("general/INBOX", "cardiology/INBOX", "billing/INBOX") if ledger.cursor(m)} == \
        {"general/INBOX", "cardiology/INBOX", "billing/INBOX"}
    assert set(ledger.watchers()) == set()                     # a clean stop handed every mailbox back
    ledger.close()
    config_file = tmp_path / "config.toml"
    import tomllib  # noqa: F401 - the file below is read back by the CLI

    config_file.write_text(_toml(data))
    assert main(["--config", str(config_file), "status"]) == 0
    out = capsys.readouterr().out
    for name in ("general", "cardiology", "billing"):
        assert f"last poll of {name}/INBOX" in out and f"  {name}/INBOX: answered 1" in out


def _toml(data: dict[str, Any]) -> str:
    from support import to_toml

    mailboxes = data.pop("mailbox")
    text = to_toml(data)
    data["mailbox"] = mailboxes
    for mb in mailboxes:
        text += "\n[[mailbox]]\n" + f'name = "{mb["name"]}"\n'
        for table, values in mb.items():
            if table == "name":
                continue
            text += f"[mailbox.{table}]\n" + "".join(f'{k} = "{v}"\n' for k, v in values.items())
    return text
