"""The clock reading and the Message-IDs of outgoing mail, made at the edge and passed into
the pure core (`pipeline.consult`, `mail.compose`), so that the same input gives the same
bytes: the daemon and `consultant answer` use `message_ids`; tests and benchmarks use
`numbered_ids`."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from email.utils import make_msgid

MessageIds = Callable[[], str]        # each call: a new '<unique@domain>'


def message_ids(domain: str) -> MessageIds:
    """Unique Message-IDs on the domain (time, process id and random bits: `email.utils`)."""
    return lambda: make_msgid(domain=domain)


def numbered_ids(domain: str, prefix: str = "consult") -> MessageIds:
    """'<prefix.1@domain>', '<prefix.2@domain>' ...: the same sequence on every run."""
    counter = itertools.count(1)
    return lambda: f"<{prefix}.{next(counter)}@{domain}>"
