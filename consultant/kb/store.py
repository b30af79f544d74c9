"""The read-only code book: every question the analysis asks of the knowledge base.

Opened once per process (and re-opened when `kb update` swaps in a new file); answers from
SQLite indexes, so no import-time parsing and a ready time of milliseconds.

    >>> book = CodeBook.open(Path("var/kb.sqlite"))       # doctest: +SKIP
    >>> book.entry("ICD10CM", "E11.22", date(2026, 11, 18)).title   # doctest: +SKIP
    'Type 2 diabetes mellitus with diabetic chronic kidney disease'
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar, cast

from consultant.errors import KnowledgeBaseError
from consultant.kb.records import (
    AddOn,
    CodeEntry,
    IcdNote,
    ModifierEntry,
    Mue,
    PaymentIndicators,
    PtpEdit,
    Release,
    SeventhCharacter,
)

SCHEMA_PATH = Path(__file__).with_name("schema.sql")
SCHEMA_VERSION = 1


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def valid_on(entry: CodeEntry, on: date) -> bool:
    """Whether the row is in force on the date: `_valid_sql` in Python."""
    return (entry.valid_from is None or entry.valid_from <= on) and (entry.valid_to is None or on <= entry.valid_to)


def entry_on(rows: Iterable[CodeEntry], on: date) -> CodeEntry | None:
    """The row `CodeBook.entry` answers, picked from the code's rows (`CodeBook.history`):
    valid on the date, an official row before a starter one, the newest first; a missing
    plain summary taken from the next row that has one."""
    valid = sorted((e for e in rows if valid_on(e, on)),
                   key=lambda e: e.valid_from.isoformat() if e.valid_from else "", reverse=True)
    valid.sort(key=lambda e: e.source.lower().startswith("starter"))
    if not valid:
        return None
    entry = valid[0]
    if entry.plain is None:
        plain = next((e.plain for e in valid if e.plain), None)
        if plain:
            entry = CodeEntry(**{**entry.__dict__, "plain": plain})
    return entry


def _valid_sql(alias: str = "") -> str:
    p = f"{alias}." if alias else ""
    return f"({p}valid_from IS NULL OR {p}valid_from <= :on) AND ({p}valid_to IS NULL OR :on <= {p}valid_to)"


_Args = ParamSpec("_Args")
_Answer = TypeVar("_Answer")
KEPT_ANSWERS = 50_000   # answers one book keeps (some tens of MB at most) before it starts over


def _remembered(
    query: Callable[Concatenate[CodeBook, _Args], _Answer],
) -> Callable[Concatenate[CodeBook, _Args], _Answer]:
    """Each answer of a query asked once per book: the file is read-only and the answers are
    frozen data, while one case asks the same few codes' rows again and again (validity, the
    guideline rules, the edits, the questions: some 30 SQLite queries per email)."""
    name = query.__name__

    @functools.wraps(query)
    def kept(book: CodeBook, /, *args: _Args.args, **kwargs: _Args.kwargs) -> _Answer:
        key = (name, args, tuple(kwargs.items())) if kwargs else (name, args)
        answers = book._answers
        try:
            return cast(_Answer, answers[key])
        except KeyError:
            pass
        answer = query(book, *args, **kwargs)
        if len(answers) >= KEPT_ANSWERS:
            answers.clear()
        answers[key] = answer
        return answer

    return kept


class CodeBook:
    """Queries over one knowledge-base file. Thread-confined: open one per thread."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None = None) -> None:
        self._conn = conn
        self.path = path
        self._answers: dict[tuple[object, ...], object] = {}   # see _remembered

    @classmethod
    def open(cls, path: Path) -> CodeBook:
        """Open a built knowledge base read-only; raise KnowledgeBaseError with what to do."""
        if not path.exists():
            raise KnowledgeBaseError(
                f"knowledge base {path} does not exist: run `consultant kb build` first"
            )
        try:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        except sqlite3.DatabaseError as e:
            raise KnowledgeBaseError(
                f"knowledge base {path} cannot be read ({e}): rebuild it with `consultant kb build`"
            ) from e
        if version != SCHEMA_VERSION:
            conn.close()
            raise KnowledgeBaseError(
                f"knowledge base {path} has schema version {version}, this program reads "
                f"{SCHEMA_VERSION}: rebuild it with `consultant kb build`"
            )
        conn.row_factory = sqlite3.Row
        return cls(conn, path)

    @property
    def connection(self) -> sqlite3.Connection:
        """For index builders and benchmarks that need raw SQL; analysis uses the methods."""
        return self._conn

    def close(self) -> None:
        self._conn.close()

    # -- releases -------------------------------------------------------------------------
    @_remembered
    def releases(self) -> tuple[Release, ...]:
        """Every data set of the file (asked per code by the lookup, so kept: see _remembered)."""
        rows = self._conn.execute(
            "SELECT name, kind, release, valid_from, valid_to, source, rows, sha256 "
            "FROM dataset ORDER BY kind, valid_from"
        ).fetchall()
        return tuple(
            Release(r[0], r[1], r[2], _day(r[3]), _day(r[4]), r[5], r[6], r[7]) for r in rows
        )

    def releases_for(self, on: date) -> tuple[Release, ...]:
        """The data sets whose validity covers the date (or that have none)."""
        return tuple(
            r
            for r in self.releases()
            if (r.valid_from is None or r.valid_from <= on) and (r.valid_to is None or on <= r.valid_to)
        )

    # -- codes ----------------------------------------------------------------------------
    def _entry(self, row: sqlite3.Row) -> CodeEntry:
        extra = tuple(sorted((k, str(v)) for k, v in json.loads(row["extra"]).items())) if row["extra"] else ()
        billable = row["billable"]
        return CodeEntry(
            system=row["system"],
            code=row["code"],
            title=row["title"],
            plain=row["plain"],
            billable=None if billable is None else bool(billable),
            kind=row["kind"],
            parent=row["parent"],
            valid_from=_day(row["valid_from"]),
            valid_to=_day(row["valid_to"]),
            dataset=row["dataset"],
            source=row["source"],
            extra=extra,
        )

    @_remembered
    def history(self, system: str, code: str) -> tuple[CodeEntry, ...]:
        """Every row for the code, oldest first: tells 'deleted' from 'never existed'."""
        rows = self._conn.execute(
            "SELECT * FROM code WHERE code = ? AND system = ? ORDER BY COALESCE(valid_from, '')",
            (code, system),
        ).fetchall()
        return tuple(self._entry(r) for r in rows)

    @_remembered
    def entry(self, system: str, code: str, on: date) -> CodeEntry | None:
        """The row valid on the date. Where data sets overlap, an official row beats a starter row."""
        rows = self._conn.execute(
            f"SELECT * FROM code WHERE code = :code AND system = :system AND {_valid_sql()} "
            "ORDER BY (source LIKE 'starter%') , COALESCE(valid_from, '') DESC",
            {"code": code, "system": system, "on": on.isoformat()},
        ).fetchall()
        if not rows:
            return None
        entry = self._entry(rows[0])
        if entry.plain is None:
            plain = next((r["plain"] for r in rows if r["plain"]), None)
            if plain:
                entry = CodeEntry(**{**entry.__dict__, "plain": plain})
        return entry

    @_remembered
    def child_rows(self, code: str) -> tuple[CodeEntry, ...]:
        """Every ICD-10-CM row whose parent is `code`, of any release, in code order: what
        `children` filters by date (`valid_on`), read once by a caller that keeps it."""
        rows = self._conn.execute(
            "SELECT * FROM code WHERE parent = :code AND system = 'ICD10CM' ORDER BY code", {"code": code}
        ).fetchall()
        return tuple(self._entry(r) for r in rows)

    def validity_bounds(self, system: str) -> tuple[date, ...]:
        """The days on which some row of the system comes into force or goes out of it
        (a `valid_from`, the day after a `valid_to`), sorted: between two of them every
        row of the system is valid or not alike."""
        days: set[date] = set()
        for start, end in self._conn.execute(
                "SELECT DISTINCT valid_from, valid_to FROM code WHERE system = ?", (system,)):
            if start:
                days.add(date.fromisoformat(start))
            if end:
                days.add(date.fromisoformat(end) + timedelta(days=1))
        return tuple(sorted(days))

    def systems_of(self, code: str) -> tuple[str, ...]:
        """Which systems know this normal-form code at all (any date)."""
        rows = self._conn.execute("SELECT DISTINCT system FROM code WHERE code = ?", (code,))
        return tuple(r[0] for r in rows)

    @_remembered
    def children(self, code: str, on: date) -> tuple[CodeEntry, ...]:
        """ICD-10-CM codes one level below `code`, valid on the date."""
        rows = self._conn.execute(
            f"SELECT * FROM code WHERE parent = :code AND system = 'ICD10CM' AND {_valid_sql()} ORDER BY code",
            {"code": code, "on": on.isoformat()},
        ).fetchall()
        return tuple(self._entry(r) for r in rows)

    def billable_descendants(self, code: str, on: date, limit: int = 60) -> tuple[CodeEntry, ...]:
        """Billable codes below `code` (breadth-first), at most `limit` of them."""
        found: list[CodeEntry] = []
        frontier = [code]
        while frontier and len(found) < limit:
            nxt: list[str] = []
            for parent in frontier:
                for child in self.children(parent, on):
                    if child.billable:
                        found.append(child)
                    nxt.append(child.code)
            frontier = nxt
        return tuple(found[:limit])

    @_remembered
    def ancestors(self, code: str) -> tuple[str, ...]:
        """ICD-10-CM parents of the code, nearest first (not including the code)."""
        out: list[str] = []
        current = code
        for _ in range(10):
            row = self._conn.execute(
                "SELECT parent FROM code WHERE code = ? AND system = 'ICD10CM' AND parent IS NOT NULL LIMIT 1",
                (current,),
            ).fetchone()
            if row is None:
                break
            out.append(row[0])
            current = row[0]
        return tuple(out)

    # -- ICD-10-CM conventions ----------------------------------------------------------
    def icd_notes(self, code: str, kinds: Iterable[str] | None = None) -> tuple[IcdNote, ...]:
        """Notes written at the code and at each ancestor (they apply downwards)."""
        nodes = (code, *self.ancestors(code))
        marks = ",".join("?" * len(nodes))
        sql = f"SELECT code, kind, text, refs FROM icd_note WHERE code IN ({marks})"
        params: list[str] = list(nodes)
        if kinds is not None:
            kinds = tuple(kinds)
            sql += f" AND kind IN ({','.join('?' * len(kinds))})"
            params += list(kinds)
        rows = self._conn.execute(sql, params).fetchall()
        order = {n: i for i, n in enumerate(nodes)}
        rows = sorted(rows, key=lambda r: order[r[0]])
        return tuple(IcdNote(r[0], r[1], r[2], tuple((r[3] or "").split())) for r in rows)

    @_remembered
    def seventh_characters(self, code: str) -> tuple[SeventhCharacter, ...]:
        """The 7th characters the code takes (declared at it or its nearest declaring ancestor)."""
        for node in (code, *self.ancestors(code)):
            rows = self._conn.execute(
                "SELECT character, meaning FROM icd_seventh WHERE code = ? ORDER BY character",
                (node,),
            ).fetchall()
            if rows:
                return tuple(SeventhCharacter(r[0], r[1], node) for r in rows)
        return ()

    # -- NCCI -----------------------------------------------------------------------------
    def ptp_edits(self, codes: Iterable[str], on: date) -> tuple[PtpEdit, ...]:
        """All PTP edits in force on the date between any two of the codes (either order)."""
        unique = sorted(set(codes))
        if len(unique) < 2:
            return ()
        marks = ",".join("?" * len(unique))
        rows = self._conn.execute(
            f"SELECT column1, column2, modifier, valid_from, valid_to, prior_1996, rationale, dataset "
            f"FROM ptp WHERE column1 IN ({marks}) AND column2 IN ({marks}) "
            f"AND valid_from <= ? AND (valid_to IS NULL OR ? <= valid_to)",
            [*unique, *unique, on.isoformat(), on.isoformat()],
        ).fetchall()
        seen: set[tuple[str, str]] = set()
        edits: list[PtpEdit] = []
        for r in rows:
            if r[0] == r[1] or (r[0], r[1]) in seen:
                continue   # the official file repeats some keys; one answer per pair
            seen.add((r[0], r[1]))
            edits.append(
                PtpEdit(r[0], r[1], int(r[2]), date.fromisoformat(r[3]), _day(r[4]), bool(r[5]), r[6] or "", r[7])
            )
        return tuple(sorted(edits, key=lambda e: (e.column1, e.column2)))

    @_remembered
    def mue(self, code: str, on: date) -> Mue | None:
        row = self._conn.execute(
            f"SELECT code, value, mai, mai_text, rationale, dataset FROM mue WHERE code = :code AND {_valid_sql()} "
            "ORDER BY COALESCE(valid_from, '') DESC LIMIT 1",
            {"code": code, "on": on.isoformat()},
        ).fetchone()
        if row is None:
            return None
        return Mue(row[0], row[1], int(row[2]), row[3] or "", row[4] or "", row[5])

    @_remembered
    def addon(self, code: str, on: date) -> AddOn | None:
        rows = self._conn.execute(
            f"SELECT addon, type, primary_code, dataset FROM addon WHERE addon = :code AND {_valid_sql()}",
            {"code": code, "on": on.isoformat()},
        ).fetchall()
        if not rows:
            return None
        primaries = tuple(sorted({r[2] for r in rows if r[2]}))
        return AddOn(rows[0][0], int(rows[0][1]), primaries, rows[0][3])

    @_remembered
    def payment(self, code: str, on: date, modifier: str = "") -> PaymentIndicators | None:
        """PFS indicators of one code line for the date of service; None when no PFS release
        covers that date or the code is not in it (say so in the reply: do not guess)."""
        try:
            row = self._conn.execute(
                "SELECT code, modifier, status, pctc, global_days, preop, intraop, postop, mult_proc, "
                "bilateral, assistant, co_surgeon, team, endo_base, work_rvu, total_rvu_nonfacility, "
                "total_rvu_facility, conversion_factor, valid_from, valid_to, dataset FROM pfs "
                f"WHERE code = :code AND modifier = :modifier AND {_valid_sql()} "
                "ORDER BY COALESCE(valid_from, '') DESC LIMIT 1",
                {"code": code, "modifier": modifier, "on": on.isoformat()},
            ).fetchone()
        except sqlite3.OperationalError:      # a knowledge base built before the pfs table
            return None
        if row is None:
            return None
        return PaymentIndicators(
            code=row[0], modifier=row[1], status=row[2], pctc=row[3], global_days=row[4], preop=row[5],
            intraop=row[6], postop=row[7], mult_proc=row[8], bilateral=row[9], assistant=row[10],
            co_surgeon=row[11], team=row[12], endo_base=row[13], work_rvu=row[14],
            total_rvu_nonfacility=row[15], total_rvu_facility=row[16], conversion_factor=row[17],
            valid_from=date.fromisoformat(row[18]), valid_to=_day(row[19]), dataset=row[20],
        )

    # -- modifiers and words ------------------------------------------------------------
    @_remembered
    def modifier(self, code: str) -> ModifierEntry | None:
        """One modifier's row (a few hundred rows, asked per code line, so kept)."""
        row = self._conn.execute(
            "SELECT code, title, plain, applies_to, level, source FROM modifier WHERE code = ?", (code,)
        ).fetchone()
        return ModifierEntry(*row) if row else None

    def abbreviations(self) -> dict[str, tuple[str, ...]]:
        """Short form (lower-case) -> expansions."""
        out: dict[str, list[str]] = {}
        for short, expansion in self._conn.execute("SELECT short, expansion FROM abbreviation"):
            out.setdefault(short.lower(), []).append(expansion)
        return {k: tuple(v) for k, v in out.items()}


    # -- the suggestion index (built by consultant.kb.terms) ------------------------------
    def child_codes(self, system: str, code: str) -> tuple[str, ...]:
        """The codes whose parent is the code, in code order, of any release."""
        rows = self._conn.execute(
            "SELECT code FROM code WHERE parent = ? AND system = ? ORDER BY code", (code, system)
        ).fetchall()
        return tuple(r[0] for r in rows)

    def _tuples(self, sql: str) -> sqlite3.Cursor:
        """The rows as plain tuples (no `sqlite3.Row`): the term index is read whole at start."""
        cursor = self._conn.cursor()
        cursor.row_factory = None
        return cursor.execute(sql)

    def _has_table(self, name: str) -> bool:
        return self._conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone() is not None

    def has_term_index(self) -> bool:
        """Whether the knowledge base holds the term index (`term_posting`); older ones do not."""
        return self._has_table("term_posting")

    def term_rows(self) -> list[tuple[int, str, str, str, str, str, str, float | None, int | None]]:
        """(id, system, code, text, source kind, norm, optional tokens, weight, billable) of
        every term, by id."""
        rows: list[tuple[int, str, str, str, str, str, str, float | None, int | None]] = self._tuples(
            "SELECT t.id, t.system, t.code, t.text, t.source_kind, t.norm, m.opt, m.weight, m.billable "
            "FROM term t JOIN term_meta m ON m.term_id = t.id ORDER BY t.id").fetchall()
        return rows

    def term_postings(self) -> dict[str, tuple[float, int, bytes]]:
        """token -> (idf, document frequency, packed term ids)."""
        return {token: (idf, df, ids) for token, idf, df, ids in self._tuples("SELECT token, idf, df, ids FROM term_posting")}

    def term_prefixes(self) -> dict[str, bytes] | None:
        """token -> packed ids of the terms it is a prefix token of; None before `term_prefix` existed."""
        if not self._has_table("term_prefix"):
            return None
        return dict(self._tuples("SELECT token, ids FROM term_prefix"))

    def term_partners(self) -> dict[str, tuple[str, bytes, bytes]] | None:
        """token -> (others, counts, ids) of `term_partner` (`consultant.kb.terms.partners`,
        unpacked when first used); None before the table existed."""
        if not self._has_table("term_partner"):
            return None
        return {token: (others, counts, ids) for token, others, counts, ids in
                self._tuples("SELECT token, others, counts, ids FROM term_partner")}

    # -- the Alphabetic Index (read by consultant.analysis.index_walk) ----------------------
    _INDEX_COLUMNS = "id, parent, tbl, title, nemod, code, manif, see, see_also, subcat, cells, req, opt, forms"

    def _has_index(self) -> bool:
        return self._conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'index_node'").fetchone() is not None

    def index_nodes(self, tables: Iterable[str] = ("index", "neoplasm", "drug"), *, mains_only: bool = False
                    ) -> list[tuple[int, int | None, str, str, str | None, str | None, str | None, str | None,
                                    str | None, str | None, str | None, str, str, str]]:
        """Alphabetic Index nodes of the given tables in document order: (id, parent, tbl, title,
        nemod, code, manif, see, see_also, subcat, cells, req, opt, forms); only the main terms
        with `mains_only`; empty when no Index was imported (or an old KB)."""
        if not self._has_index():
            return []
        tables = tuple(tables)
        where = " AND parent IS NULL" if mains_only else ""
        return [tuple(r) for r in self._conn.execute(
            f"SELECT {self._INDEX_COLUMNS} FROM index_node WHERE tbl IN ({','.join('?' * len(tables))}){where} "
            "ORDER BY id", tables)]

    def index_children(self, parent: int) -> list[tuple[int, int | None, str, str, str | None, str | None,
                                                        str | None, str | None, str | None, str | None,
                                                        str | None, str, str, str]]:
        """The sub-terms one level below an Index node, in document order."""
        return [tuple(r) for r in self._conn.execute(
            f"SELECT {self._INDEX_COLUMNS} FROM index_node WHERE parent = ? ORDER BY id", (parent,))]

    def index_token_counts(self) -> tuple[dict[str, int], int]:
        """(token -> how many Index titles hold it, how many titles there are): word weights."""
        if not self._has_index():
            return {}, 0
        has = self._conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'index_token'").fetchone()
        counts = dict(self._conn.execute("SELECT token, df FROM index_token")) if has else {}
        total = self._conn.execute("SELECT COUNT(*) FROM index_node WHERE tbl != 'external'").fetchone()[0]
        return counts, int(total)
