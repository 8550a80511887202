"""HXL tables: CSV or XLSX bytes → columns known by hashtag, rows with their line numbers.

The hashtag row is found wherever it sits in the first rows (a row whose every non-empty cell
is a hashtag spec). Both generations of hashtags are read: HXL 1.x (``#geo +lat``, attributes
after ``+``) and the pre-1.0 ones real files still carry (``#lat_deg``, ``#people_num``). Columns
without a hashtag keep their header text, so a caller may fall back on a known header.
"""

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from services.adapters.errors import AdapterError

MAX_TABLE_BYTES = 20 * 1024 * 1024
MAX_XLSX_UNZIPPED = 200 * 1024 * 1024  # a zip bomb is refused before it is opened
SEARCH_ROWS = 25  # libhxl looks this far for the hashtag row too
_SPEC = re.compile(r"^#([A-Za-z][A-Za-z0-9_]*)((?:\s*\+\s*[A-Za-z][A-Za-z0-9_]*)*)$")


@dataclass(frozen=True)
class Column:
    tag: str | None  # lower case, without '#'; None when the column has no hashtag
    attributes: frozenset[str]
    header: str  # the text row above the hashtag row, if any

    def matches(self, pattern: str) -> bool:
        """``"#geo+lat"`` matches ``#geo +lat +deg`` (a tag and at least those attributes)."""
        tag, attrs = _parse_spec(pattern)
        return self.tag == tag and attrs <= self.attributes


@dataclass(frozen=True)
class Row:
    line: int  # 1-based line (CSV) or row number (XLSX) in the file
    cells: tuple[str, ...]

    def get(self, column: int | None) -> str:
        if column is None or column >= len(self.cells):
            return ""
        return self.cells[column].strip()


@dataclass(frozen=True)
class HxlTable:
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]

    def find(self, *patterns: str, header: str | None = None) -> int | None:
        """The first column matching the first pattern that any column matches; else, the
        column whose header is ``header`` (case-insensitive)."""
        for pattern in patterns:
            for i, column in enumerate(self.columns):
                if column.matches(pattern):
                    return i
        if header is not None:
            for i, column in enumerate(self.columns):
                if column.header.strip().lower() == header.lower():
                    return i
        return None


def _parse_spec(text: str) -> tuple[str, frozenset[str]]:
    found = _SPEC.match(text.strip())
    if found is None:
        raise ValueError(text)
    attrs = frozenset(a.strip().lower() for a in found.group(2).split("+") if a.strip())
    return found.group(1).lower(), attrs


def _is_spec(text: str) -> bool:
    return _SPEC.match(text.strip()) is not None


def read_table(data: bytes, *, limit: int = MAX_TABLE_BYTES) -> HxlTable:
    """An HXL table from CSV or XLSX bytes; AdapterError when there is none."""
    if len(data) > limit:
        raise AdapterError("file", f"larger than {limit} bytes")
    rows = _xlsx_rows(data) if data.startswith(b"PK\x03\x04") else _csv_rows(data)
    head: list[Row] = []
    for row in rows:
        head.append(row)
        cells = [c for c in row.cells if c.strip()]
        if cells and all(_is_spec(c) for c in cells):
            break
        if len(head) >= SEARCH_ROWS:
            raise AdapterError("hashtag row", f"none in the first {SEARCH_ROWS} rows")
    else:
        raise AdapterError("hashtag row", "none found: no row holds only HXL hashtags")
    tags, header = head[-1], head[-2] if len(head) > 1 else Row(0, ())
    columns = []
    for i, cell in enumerate(tags.cells):
        tag, attrs = _parse_spec(cell) if cell.strip() else (None, frozenset[str]())
        columns.append(Column(tag, attrs, header.get(i)))
    return HxlTable(tuple(columns), tuple(rows))  # the rest of the iterator: the data rows


def _csv_rows(data: bytes) -> Iterator[Row]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # every byte is a character: a messy file still reads
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    try:
        for cells in reader:
            yield Row(start, tuple(cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise AdapterError(f"line {reader.line_num}", f"not readable as CSV ({exc})") from None


def _xlsx_rows(data: bytes) -> Iterator[Row]:
    from openpyxl import load_workbook  # uses defusedxml for the sheets' XML when installed

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(i.file_size for i in archive.infolist()) > MAX_XLSX_UNZIPPED:
                raise AdapterError("file", f"unzips to more than {MAX_XLSX_UNZIPPED} bytes")
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield Row(number, tuple(_cell(v) for v in values))
        book.close()
    except AdapterError:
        raise
    except Exception as exc:  # openpyxl and zipfile raise a dozen kinds on a broken file
        raise AdapterError("file", f"not a readable XLSX workbook ({type(exc).__name__})") from None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
