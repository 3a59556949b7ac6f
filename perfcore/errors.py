"""Errors a user can act on. Messages are Chinese and name the file, sheet and cell."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ReadError(Exception):
    """A workbook (or one sheet of it) could not be read as a self-evaluation form.

    ``code`` is stable for tests and tools (e.g. ``not_a_workbook``, ``encrypted``,
    ``formula_no_cache``); ``message`` is what the user reads.
    """

    code: str
    message: str
    file: str = ""
    sheet: str = ""
    cell: str = ""

    def __str__(self) -> str:
        where = "".join(
            part
            for part in (
                f"文件“{self.file}”" if self.file else "",
                f"工作表“{self.sheet}”" if self.sheet else "",
                f"单元格 {self.cell}" if self.cell else "",
            )
        )
        return f"{where}：{self.message}" if where else self.message

    def __reduce__(self) -> tuple[type, tuple[str, ...]]:
        """Picklable with its fields (Exception's default passes ``args``, empty for a
        dataclass): errors travel from import workers and through Streamlit's data cache."""
        return type(self), (self.code, self.message, self.file, self.sheet, self.cell)

    def to_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "message": str(self),
            "file": self.file,
            "sheet": self.sheet,
            "cell": self.cell,
        }


class StoreError(Exception):
    """The database could not do what was asked (file unreadable, unknown version id, ...)."""


class StoreLockedError(StoreError):
    """The DuckDB file is held by another process (usually the running app).

    A StoreError, so ``except StoreError`` covers it; callers that say something more
    specific about a lock catch StoreLockedError first.
    """


class PermissionDenied(StoreError):
    """The signed-in account may not read or change this (outside its role or its units).

    A StoreError, so every page and command that handles database errors shows the Chinese
    message; the store raises it, so a page that forgets a check still cannot leak or write.
    """
