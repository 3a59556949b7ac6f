"""Checks for OLE2 compound files (.xls, and encrypted .xlsx which is an OLE2 box).

A minimal compound-file reader (header, FAT, directory, streams) and a scan of the
BIFF records of the ``Workbook`` stream: the password record and the extent of the
cells, found before calamine builds a dense grid (an .xls can place one cell at
IV65536 and cost ~0.5 GB).
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

from perfcore.guard.limits import Limits
from perfcore.guard.messages import ADVICE_UPLOAD, refuse, too_many_columns, too_many_rows, too_many_sheets

_MAX_REGULAR = 0xFFFFFFFA
_ENTRY = 128

# BIFF record types.
_BOF, _FILEPASS, _BOUNDSHEET = 0x0809, 0x002F, 0x0085
_MULRK = 0x00BD
# Cells calamine turns into values (blank cells 0x0201 / 0x00BE are skipped by it, so by us).
_CELLS = frozenset({0x00FD, 0x0203, 0x027E, 0x0204, 0x0205, 0x0006, 0x00D6, _MULRK})


class Corrupt(Exception):
    """The compound file is cut short or its tables point outside it."""


@dataclass(frozen=True)
class Entry:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    start: int
    size: int


class Compound:
    """Read-only view of an OLE2 compound file held in memory."""

    def __init__(self, data: bytes) -> None:
        if len(data) < 512:
            raise Corrupt("header")
        self.data = data
        shift, mini_shift = struct.unpack_from("<HH", data, 30)
        if shift not in (9, 12) or mini_shift != 6:
            raise Corrupt("sector size")
        self.size = 1 << shift
        self.sectors = (len(data) - 512 + self.size - 1) // self.size
        n_fat, first_dir = struct.unpack_from("<II", data, 44)
        self.cutoff, first_mini, n_mini, next_difat, n_difat = struct.unpack_from("<IIIII", data, 56)
        difat = list(struct.unpack_from("<109I", data, 76))
        for _ in range(min(n_difat, self.sectors)):
            if next_difat >= _MAX_REGULAR:
                break
            ids = struct.unpack(f"<{self.size // 4}I", self._sector(next_difat))
            difat.extend(ids[:-1])
            next_difat = ids[-1]
        fat_ids = [sid for sid in difat if sid < _MAX_REGULAR][:n_fat]
        self.fat = self._table(fat_ids)
        self.entries = self._directory(first_dir)
        root = self.entries[0] if self.entries else Entry("", 5, first_mini, 0)
        self.minifat = self._table(list(self._chain(first_mini, self.fat))) if n_mini else ()
        self.ministream = self._join(self._chain(root.start, self.fat), root.size, self.size)

    def _sector(self, sid: int) -> bytes:
        offset = 512 + sid * self.size
        if sid >= self.sectors:
            raise Corrupt("sector out of range")
        return self.data[offset : offset + self.size]

    def _table(self, sids: list[int]) -> tuple[int, ...]:
        raw = b"".join(self._sector(sid) for sid in sids)
        return struct.unpack(f"<{len(raw) // 4}I", raw[: len(raw) // 4 * 4])

    def _chain(self, start: int, table: tuple[int, ...]):
        """Sector ids of a chain; a loop or a pointer outside the table is corruption."""
        for _ in range(len(table) + 1):
            if start >= _MAX_REGULAR:
                return
            if start >= len(table):
                raise Corrupt("chain")
            yield start
            start = table[start]
        raise Corrupt("loop")

    def _join(self, sids, size: int, unit: int) -> bytes:
        if unit == self.size:
            raw = b"".join(self._sector(sid) for sid in sids)
        else:
            raw = b"".join(self.ministream[sid * unit : (sid + 1) * unit] for sid in sids)
        if len(raw) < size:
            raise Corrupt("stream")
        return raw[:size]

    def _directory(self, first: int) -> list[Entry]:
        entries = []
        for sid in self._chain(first, self.fat):
            sector = self._sector(sid)
            for offset in range(0, len(sector), _ENTRY):
                raw = sector[offset : offset + _ENTRY]
                name_len, kind = struct.unpack_from("<HB", raw, 64)
                start, size = struct.unpack_from("<IQ", raw, 116)
                if kind and 2 <= name_len <= 64:
                    name = raw[: name_len - 2].decode("utf-16-le", errors="replace")
                    entries.append(Entry(name, kind, start, size if self.size == 4096 else size & 0xFFFFFFFF))
        return entries

    def names(self) -> set[str]:
        return {entry.name for entry in self.entries}

    def stream(self, name: str) -> bytes:
        entry = next(e for e in self.entries if e.name == name and e.kind == 2)
        if entry.size < self.cutoff:
            return self._join(self._chain(entry.start, self.minifat), entry.size, 64)
        return self._join(self._chain(entry.start, self.fat), entry.size, self.size)


def _sheet_name(body: bytes, biff8: bool) -> str:
    """Name from a BOUNDSHEET body (after the 4-byte offset and 2-byte flags)."""
    if len(body) < 8:
        return ""
    count = body[6]
    if not biff8:
        return body[7 : 7 + count].decode("gbk", errors="replace")
    wide = body[7] & 1
    raw = body[8 : 8 + count * (2 if wide else 1)]
    return raw.decode("utf-16-le" if wide else "latin-1", errors="replace")


def scan_biff(stream: bytes, limits: Limits, file: str) -> int:
    """Walk BIFF records: password → encrypted; sheet count; the furthest cell of each sheet.

    Returns the number of worksheets. Raises ReadError on the first limit exceeded.
    """
    biff8 = stream[4:6] == b"\x00\x06" if len(stream) >= 6 else True
    sheets: dict[int, str] = {}
    current, pos, end = "", 0, len(stream)
    while pos + 4 <= end:
        kind, length = struct.unpack_from("<HH", stream, pos)
        body = stream[pos + 4 : pos + 4 + length]
        if kind == _FILEPASS:
            raise refuse("encrypted", file)
        if kind == _BOUNDSHEET and len(body) >= 6:
            sheets[struct.unpack_from("<I", body)[0]] = _sheet_name(body, biff8)
        elif kind == _BOF:
            current = sheets.get(pos, current)
        elif kind in _CELLS and len(body) >= 4:
            row, col = struct.unpack_from("<HH", body)
            if kind == _MULRK and len(body) >= 6:
                col = struct.unpack_from("<H", body, length - 2)[0]
            if row + 1 > limits.max_rows:
                raise too_many_rows(row + 1, limits, file, current, col + 1)
            if col + 1 > limits.max_cols:
                raise too_many_columns(col + 1, row + 1, limits, file, current)
        pos += 4 + length
    if len(sheets) > limits.max_sheets:
        raise too_many_sheets(len(sheets), limits, file)
    return len(sheets)


def inspect_ole(data: bytes, limits: Limits, file: str) -> tuple[str, int]:
    """('xls', sheet count) for a readable .xls; ReadError for encrypted, foreign or damaged files."""
    try:
        box = Compound(data)
        names = box.names()
        if names & {"EncryptedPackage", "EncryptionInfo"}:
            raise refuse("encrypted", file)
        book = next((n for n in ("Workbook", "Book") if n in names), None)
        if book is None:
            what = "Word 文档" if "WordDocument" in names else (
                "PowerPoint 演示文稿" if "PowerPoint Document" in names else "Office 97-2003 文件，但不是 Excel 工作簿")
            raise refuse("not_a_workbook", file, what=what, advice=ADVICE_UPLOAD)
        stream = box.stream(book)
    except (Corrupt, struct.error, StopIteration):
        if any(name.encode("utf-16-le") in data for name in ("EncryptionInfo", "EncryptedPackage")):
            raise refuse("encrypted", file) from None  # damaged, but plainly a password-protected workbook
        raise refuse("truncated", file, detail="Excel 97-2003 文件结构缺损") from None
    return "xls", scan_biff(stream, limits, file)
