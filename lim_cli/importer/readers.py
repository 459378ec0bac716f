"""Streaming readers for import files: CSV, JSON Lines and JSON arrays.

Each reader yields :class:`Record` objects one at a time, never holding the
whole file: a record is a parsed row (a dict) with the line it starts on,
or the error that made its line unusable. CSV files may start with a UTF-8
byte order mark and quote fields across lines; JSON arrays are parsed
element by element with :meth:`json.JSONDecoder.raw_decode` over a sliding
buffer, so a single element may not exceed :data:`MAX_ELEMENT` characters.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

CHUNK = 1 << 20
MAX_ELEMENT = 16 << 20
FORMATS = ("csv", "jsonl", "json")

csv.field_size_limit(min(sys.maxsize, 1 << 24))


@dataclass(slots=True)
class Record:
    line: int
    row: dict[str, Any] | None
    raw: Any = None
    error: str | None = None


class CountingFile(io.RawIOBase):
    """A binary file that counts the bytes read, for the progress bar."""

    def __init__(self, path: Path) -> None:
        self.handle = open(path, "rb")  # noqa: SIM115
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = self.handle.readinto(buffer)
        self.bytes_read += count or 0
        return count or 0

    def close(self) -> None:
        self.handle.close()
        super().close()


def detect_format(path: Path) -> str:
    """The format from the extension, else from the first character."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        return "csv"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".json":
        with open(path, encoding="utf-8-sig") as handle:
            start = handle.read(4096).lstrip()
        return "json" if start.startswith("[") else "jsonl"
    with open(path, encoding="utf-8-sig", errors="replace") as handle:
        start = handle.read(4096).lstrip()
    if start.startswith("["):
        return "json"
    return "jsonl" if start.startswith("{") else "csv"


def open_text(source: CountingFile) -> IO[str]:
    buffered = io.BufferedReader(source, CHUNK)
    return io.TextIOWrapper(buffered, encoding="utf-8-sig", newline="")


def read_records(
    fmt: str, handle: IO[str], meta: dict[str, Any] | None = None
) -> Iterator[Record]:
    """Records of ``handle``; a CSV header lands in ``meta["header"]``."""
    if fmt == "csv":
        return read_csv(handle, {} if meta is None else meta)
    if fmt == "jsonl":
        return read_jsonl(handle)
    return read_json_array(handle)


def read_csv(handle: IO[str], meta: dict[str, Any]) -> Iterator[Record]:
    """Rows as dicts keyed by the header; cells that are empty are dropped."""
    reader = csv.reader(handle)
    try:
        header = next(reader)
    except StopIteration:
        return
    except (csv.Error, UnicodeDecodeError) as exc:
        yield Record(1, None, None, f"unreadable header: {exc}")
        return
    header = [name.strip() for name in header]
    meta["header"] = header
    width = len(header)
    last = reader.line_num
    while True:
        start = last + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            yield Record(start, None, None, f"not UTF-8: {exc.reason}")
            return
        except csv.Error as exc:
            last = reader.line_num
            yield Record(start, None, None, f"bad CSV: {exc}")
            continue
        last = reader.line_num
        if not cells or cells == [""]:
            continue
        if len(cells) != width:
            yield Record(
                start, None, cells, f"expected {width} columns, found {len(cells)}"
            )
            continue
        row = {name: cell for name, cell in zip(header, cells, strict=True) if cell}
        yield Record(start, row, cells)


def read_jsonl(handle: IO[str]) -> Iterator[Record]:
    """One JSON object per line; blank lines are skipped."""
    number = 0
    while True:
        try:
            line = handle.readline()
        except UnicodeDecodeError as exc:
            yield Record(number + 1, None, None, f"not UTF-8: {exc.reason}")
            return
        if not line:
            return
        number += 1
        text = line.strip()
        if not text:
            continue
        try:
            value = json.loads(text)
        except ValueError as exc:
            yield Record(number, None, text, f"bad JSON: {_reason(exc)}")
            continue
        if not isinstance(value, dict):
            yield Record(number, None, text, "expected a JSON object")
            continue
        yield Record(number, value, value)


def read_json_array(handle: IO[str]) -> Iterator[Record]:
    """The elements of one top-level JSON array, streamed."""
    decoder = json.JSONDecoder()
    buffer = ""
    pos = 0
    line = 1
    eof = False

    def more() -> bool:
        nonlocal buffer, pos, eof
        if eof:
            return False
        chunk = handle.read(CHUNK)
        if not chunk:
            eof = True
            return False
        buffer = buffer[pos:] + chunk
        pos = 0
        return True

    def skip(chars: str) -> str | None:
        """Skip whitespace (and ``chars``); the next character or None at EOF."""
        nonlocal pos, line
        while True:
            while pos < len(buffer) and (buffer[pos].isspace() or buffer[pos] in chars):
                if buffer[pos] == "\n":
                    line += 1
                pos += 1
            if pos < len(buffer):
                return buffer[pos]
            if not more():
                return None

    try:
        first = skip("")
        if first is None:
            return
        if first != "[":
            yield Record(line, None, None, "expected a JSON array ([...])")
            return
        pos += 1
        expect_value = True
        while True:
            char = skip("")
            if char is None:
                yield Record(line, None, None, "unexpected end of file inside [...]")
                return
            if char == "]":
                return
            if char == "," and not expect_value:
                pos += 1
                expect_value = True
                continue
            if not expect_value:
                yield Record(line, None, None, f"expected , or ] but found {char!r}")
                return
            value, end, error = _decode(decoder, buffer, pos)
            while (error or end == len(buffer)) and not eof:
                if len(buffer) - pos > MAX_ELEMENT:
                    error = error or "element too large"
                    break
                more()
                value, end, error = _decode(decoder, buffer, pos)
            if error:
                yield Record(line, None, None, f"bad JSON: {error}")
                return
            start = line
            line += buffer.count("\n", pos, end)
            pos = end
            expect_value = False
            if isinstance(value, dict):
                yield Record(start, value, value)
            else:
                yield Record(start, None, value, "expected a JSON object")
    except UnicodeDecodeError as exc:
        yield Record(line, None, None, f"not UTF-8: {exc.reason}")


def _decode(decoder: json.JSONDecoder, text: str, pos: int) -> tuple[Any, int, str]:
    try:
        value, end = decoder.raw_decode(text, pos)
    except ValueError as exc:
        return None, pos, _reason(exc)
    return value, end, ""


def _reason(exc: ValueError) -> str:
    return getattr(exc, "msg", None) or str(exc)
