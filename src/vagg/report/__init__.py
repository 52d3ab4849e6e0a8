"""vagg.report: regression tables in the papers' layout (zh/en), exported to Markdown, LaTeX,
HTML, Word, Excel and CSV."""

from vagg.report.export import FORMATS, ExportError
from vagg.report.inference_figures import plot_event_study, plot_placebo
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
    "plot_event_study",
    "plot_placebo",
    "regression_table",
]
