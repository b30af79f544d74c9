"""Is the knowledge base current for today? Which data sets a publisher has replaced since.

Pure over the `dataset` rows (`CodeBook.releases()`) and a date: each official kind has a
publishing rhythm (ICD-10-CM each October 1, the CMS files each calendar quarter), so a release
older than the current period, or one whose validity ended, is out of date; a kind that is not
installed at all is named too (its checks cannot run). `consultant status`, `check-config` and
`kb info` print these lines; `consultant kb update` fixes them.

    >>> from consultant.kb.records import Release
    >>> r = Release("ncci-mue-2026-04-01", "mue", "2026 Q2", date(2026, 4, 1), None, "f", 1)
    >>> out_of_date([r], date(2026, 12, 3), kinds=("mue",))[0][:38]
    'NCCI MUE table 2026 Q2 (from 2026-04-0'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

from consultant.errors import ConsultantError
from consultant.kb.records import Release

LABELS = {
    "icd10cm_tabular": "ICD-10-CM code set",
    "hcpcs": "HCPCS Level II file",
    "ncci_ptp": "NCCI PTP edits",
    "mue": "NCCI MUE table",
    "addon": "NCCI add-on code table",
    "pfs": "Medicare fee-schedule (PFS) indicators",
}
QUARTERLY = frozenset({"hcpcs", "ncci_ptp", "mue", "addon", "pfs"})
UPDATE = "run `consultant kb update` (or `kb update --from DIR` with the files copied by hand)"


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _covers(r: Release, day: date) -> bool:
    return (r.valid_from is None or r.valid_from <= day) and (r.valid_to is None or day <= r.valid_to)


def out_of_date(releases: Iterable[Release], today: date, kinds: Sequence[str] = tuple(LABELS)) -> list[str]:
    """One sentence per official kind that is missing, ended, or older than the publisher's
    current release period on `today`; empty when everything is current."""
    official = [r for r in releases if r.release != "starter" and not r.kind.startswith("starter")]
    lines = []
    for kind in kinds:
        label = LABELS.get(kind, kind)
        mine = [r for r in official if r.kind == kind]
        if not mine:
            lines.append(f"no {label} installed: the checks that need it cannot run; {UPDATE}")
            continue
        newest = max(mine, key=lambda r: r.valid_from or date.min)
        name = f"{label} {newest.release} (from {newest.valid_from.isoformat() if newest.valid_from else '?'})"
        if not any(_covers(r, today) for r in mine):
            ended = max((r.valid_to for r in mine if r.valid_to is not None), default=None)
            lines.append(f"{label}: no release covers {today.isoformat()}"
                         + (f" (the newest ended {ended.isoformat()})" if ended else "")
                         + f"; answers for such dates carry a caveat or cannot be checked; {UPDATE}")
        elif kind in QUARTERLY and newest.valid_from is not None and newest.valid_from < quarter_start(today):
            q = quarter_start(today)
            lines.append(f"{name} is older than the current quarter ({q.year} Q{(q.month - 1) // 3 + 1}, from "
                         f"{q.isoformat()}): CMS has published a newer one; {UPDATE}")
    return lines


def out_of_date_at(path: Path, today: date) -> list[str]:
    """`out_of_date` for a knowledge-base file; a file that cannot be read says so."""
    from consultant.kb.store import CodeBook

    try:
        book = CodeBook.open(Path(path))
    except ConsultantError as e:
        return [str(e)]
    try:
        return out_of_date(book.releases(), today)
    finally:
        book.close()


def kb_out_of_date(path: Path, today: date | None = None) -> list[str]:
    """What in the knowledge base at `path` is out of date for today (`consultant status`)."""
    return out_of_date_at(Path(path), today or date.today())


def print_currency(path: Path, today: date | None = None) -> None:
    """`kb: WARNING: ...` lines for `status` and `check-config`; nothing when current."""
    for line in kb_out_of_date(path, today):
        print(f"kb: WARNING: {line}")
