"""Errors raised by the data layer.

Every error names the table, the column and the first offending rows, so a user with a
real CIE or customs file can find the records to fix without reading a numpy traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from vagg.errors import VaggError

__all__ = [
    "SchemaError",
]

_MAX_ROWS_SHOWN = 5


class SchemaError(VaggError):
    """A table does not satisfy its canonical schema.

    Attributes
    ----------
    table, column : str, str or None
        Where the violation is (``column`` is ``None`` for table-level problems such as
        duplicate keys spanning several columns).
    rows : list of int
        Positional row numbers (0-based, in the order the table was read) of the first
        offending rows; ``n_bad`` is the total number of offending rows.
    file : str or None
        The file the rows were read from, when one file holds them (the message ends with
        ``in file '…'``).
    """

    def __init__(
        self,
        table: str,
        column: str | None,
        problem: str,
        rows: Sequence[int] = (),
        n_bad: int | None = None,
        examples: Sequence[Any] = (),
        *,
        file: str | Path | None = None,
    ) -> None:
        self.table = table
        self.file = None if file is None else str(file)
        self.column = column
        self.problem = problem
        self.rows = list(rows)[:_MAX_ROWS_SHOWN]
        self.n_bad = len(rows) if n_bad is None else n_bad
        self.examples = list(examples)[:_MAX_ROWS_SHOWN]
        where = f"table '{table}'" + (f", column '{column}'" if column else "")
        msg = f"{where}: {problem}"
        if self.n_bad:
            msg += f" ({self.n_bad} row{'s' if self.n_bad != 1 else ''}"
            if self.rows:
                msg += f"; first at rows {self.rows}"
            if self.examples:
                msg += f"; values {self.examples}"
            msg += ")"
        if self.file is not None:
            msg += f" in file '{self.file}'"
        super().__init__(msg)

    def in_file(self, file: str | Path, table: str | None = None) -> SchemaError:
        """The same error, saying which ``file`` the rows are in (and naming ``table``)."""
        return SchemaError(
            self.table if table is None else table,
            self.column,
            self.problem,
            self.rows,
            self.n_bad,
            self.examples,
            file=file,
        )
