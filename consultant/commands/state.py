"""`consultant state copy`: move the SQLite ledger into the PostgreSQL one named by [state] url."""

from __future__ import annotations

import argparse
from pathlib import Path

from consultant.config import load_config
from consultant.errors import UsageError
from consultant.ledgers import POSTGRES_SCHEMES


def copy(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    target = args.to or config.state.target()
    if not str(target).startswith(POSTGRES_SCHEMES):
        raise UsageError("state copy moves a SQLite ledger into PostgreSQL: set [state] url (or pass "
                         "--to postgresql://USER@HOST/DB) first")
    source = Path(args.source) if args.source else config.state.path
    # imported here: only this command and PostgreSQL users load the driver
    from consultant.state_pg import PostgresLedger, copy_from_sqlite

    with PostgresLedger(str(target)) as ledger:
        copied = copy_from_sqlite(source, ledger)
    print(f"copied {source} into {ledger.path}: " + ", ".join(f"{t} {n}" for t, n in copied.items()))
    return 0
