"""vagg.report: regression tables in the papers' layout (zh/en), exported to Markdown, LaTeX,
HTML, Word, Excel and CSV."""

from vagg.report.export import FORMATS, ExportError
from vagg.report.tables import (
    INTERCEPT_NAMES,
    NOT_AVAILABLE,
    RegressionTable,
    TableError,
    TableRow,
    regression_table,
)

__all__ = [
    "FORMATS",
    "INTERCEPT_NAMES",
    "NOT_AVAILABLE",
    "ExportError",
    "RegressionTable",
    "TableError",
    "TableRow",
    "regression_table",
]
