"""Errors raised by vagg estimators."""

from vagg.errors import VaggError

__all__ = ["EstimationError"]


class EstimationError(VaggError):
    """An estimator received input it cannot use; the message names the argument, column and rows."""  # noqa: E501
