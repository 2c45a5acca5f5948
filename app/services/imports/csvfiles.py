"""Reading the CSV files other systems hand over: encoding, delimiter, header, records.

Finnish billing systems and Excel write UTF-8 (with or without a byte-order
mark) or Windows-1252, separated by commas or semicolons, with Windows line
endings. The caller may name the encoding and delimiter; otherwise they are
detected, and a file that cannot be read with confidence is refused with a
``FILE:LINE: reason`` that says which option to give. Whatever goes wrong is
a :class:`Problem`, never an exception, so one run reports every problem.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from app.services import identity_codes

ENCODINGS = ("auto", "utf-8", "windows-1252")
DELIMITERS = {"auto": "", ",": ",", ";": ";", "tab": "\t"}
BOM = b"\xef\xbb\xbf"
#: Beyond ASCII, the letters of Swedish and Finnish names and addresses (and a few
#: neighbours'): a file that is not UTF-8 but whose other bytes are all these in
#: Windows-1252 is taken as Windows-1252; anything else is too unsure to guess.
NORDIC_LETTERS = frozenset("ÅÄÖåäöÉéÜüØøÆæŠšŽžÈèÀàÁáÍíÓóÚúÑñ")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    reason: str

    def __post_init__(self) -> None:
        # A reason may quote a value; a code in the wrong column must not leak through it.
        object.__setattr__(self, "reason", identity_codes.mask(self.reason))

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}"


@dataclass
class CsvFile:
    """One CSV file with a header row; structural problems go to ``problems``."""

    path: Path
    columns: tuple[str, ...]
    optional: tuple[str, ...]
    problems: list[Problem]
    encoding: str = "auto"
    delimiter: str = "auto"
    #: The column whose every value is collected in ``keys``, from bad rows too.
    key: str | None = None
    keys: set[str] = field(default_factory=set)
    #: Whether every record could be read (sound encoding, header and quoting).
    complete: bool = False
    sha256: str = ""
    #: Data records read, good or bad (blank lines not counted).
    records: int = 0
    #: What was detected, for the operator ("read as Windows-1252").
    notes: list[str] = field(default_factory=list)

    def _problem(self, line: int, reason: str) -> None:
        self.problems.append(Problem(str(self.path), line, reason))

    def _decode(self, data: bytes) -> str | None:
        declared = ""
        if data.startswith(BOM):
            if self.encoding == "windows-1252":
                self._problem(1, "the file starts with a UTF-8 byte-order mark, not Windows-1252")
                return None
            data, declared = data.removeprefix(BOM), "its byte-order mark says UTF-8"
        elif self.encoding == "windows-1252":
            return self._decode_as(data, "cp1252", "the file is not valid Windows-1252")
        elif self.encoding == "utf-8":
            declared = "as --encoding utf-8 says"
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as error:
            line = data[: error.start].count(b"\n") + 1
            if declared:
                self._problem(line, f"the file is not valid UTF-8 ({declared})")
                return None
        text = data.decode("cp1252", errors="replace")
        if all(c in NORDIC_LETTERS for c in text if ord(c) > 127):
            self.notes.append(f"{self.path.name}: not UTF-8, read as Windows-1252")
            return text
        self._problem(
            line,
            "the file is not valid UTF-8 and not clearly Windows-1252: "
            "give --encoding utf-8 or --encoding windows-1252",
        )
        return None

    def _decode_as(self, data: bytes, codec: str, reason: str) -> str | None:
        try:
            return data.decode(codec)
        except UnicodeDecodeError as error:
            self._problem(data[: error.start].count(b"\n") + 1, reason)
            return None

    def _choose_delimiter(self, first_line: str) -> str:
        """The named delimiter, or the one that makes the header hold every column."""
        if self.delimiter != "auto":
            return DELIMITERS[self.delimiter]
        fitting = [
            d
            for d in (",", ";", "\t")
            if set(self.columns) <= {h.strip() for h in first_line.split(d)}
        ]
        if len(fitting) == 1:
            return fitting[0]
        return max((",", ";", "\t"), key=first_line.count)

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        """Yield ``(line, row)``; ``line`` is where a record starts (a quoted field may
        span lines)."""
        try:
            data = self.path.read_bytes()
        except OSError as error:
            self._problem(0, f"cannot read the file ({error.strerror})")
            return
        self.sha256 = hashlib.sha256(data).hexdigest()
        text = self._decode(data)
        if text is None:
            return
        cut_line = None
        if "\n" in text and not text.endswith(("\n", "\r")):
            # A file cut short ends without a line ending; its last record may look whole.
            cut_line = text.count("\n") + 1
            text = text[: text.rfind("\n") + 1]
        delimiter = self._choose_delimiter(text.split("\n", 1)[0].rstrip("\r"))
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        header = self._header(reader, delimiter)
        if header is None:
            return
        position = header.index(self.key) if self.key else None
        end = reader.line_num
        try:
            for row in reader:
                line, end = end + 1, reader.line_num
                if not row or all(not value.strip() for value in row):
                    continue
                self.records += 1
                if position is not None and position < len(row) and row[position].strip():
                    self.keys.add(row[position].strip())
                if len(row) != len(header):
                    self._problem(line, f"expected {len(header)} fields, found {len(row)}")
                    continue
                yield line, {key: value.strip() for key, value in zip(header, row, strict=True)}
        except csv.Error as error:
            self._problem(end + 1, f"broken CSV ({error})")
            return
        if cut_line is not None:
            self._problem(cut_line, "the last line has no line ending: the file may be cut short")
            return
        self.complete = True

    def _header(self, reader, delimiter: str) -> list[str] | None:
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            self._problem(1, "the file is empty (a header row is needed)")
            return None
        except csv.Error as error:
            self._problem(1, f"broken CSV ({error})")
            return None
        shown = "tab" if delimiter == "\t" else delimiter
        repeated = sorted({h for h in header if header.count(h) > 1})
        missing = [c for c in self.columns if c not in header]
        unknown = [h for h in header if h not in self.columns and h not in self.optional]
        if repeated:
            self._problem(1, f"repeated column(s): {', '.join(repeated)}")
        elif missing:
            self._problem(
                1,
                f"missing column(s): {', '.join(missing)} (read with delimiter {shown!r}; "
                "--delimiter names another)",
            )
        elif unknown:
            self._problem(1, f"unknown column(s): {', '.join(unknown)}")
        else:
            return header
        return None
