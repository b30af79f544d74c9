"""Rows of an Excel workbook (.xlsx) as text cells, for the importers of CMS workbooks.

CMS publishes the add-on code table and the fee-schedule file as Excel workbooks too; this
reads the first sheet with openpyxl in read-only mode (streams rows, no formulas evaluated)
and turns each cell into the text the CSV edition would hold ('' for empty, 9 -> '9').
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from typing import IO

from consultant.errors import ImportFileError

ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")


def cell_text(value: object) -> str:
    """A cell as text: None -> '', 9.0 -> '9', a date -> 'YYYY-MM-DD'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    # OOXML escapes control characters as _xHHHH_ (the Ctrl-Z CMS leaves at the end: _x001A_)
    return ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), str(value)).strip()


def sheet_rows(raw: IO[bytes], source: str) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells as text) of the workbook's first sheet; ImportFileError when the
    bytes are not a workbook."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(raw, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as e:
        raise ImportFileError(source, None, None, f"not a readable Excel workbook ({e})") from e
    try:
        sheet = book.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), 1):
            yield number, [cell_text(v) for v in row]
    finally:
        book.close()
