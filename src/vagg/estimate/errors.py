"""Errors raised by vagg estimators."""


class EstimationError(ValueError):
    """An estimator received input it cannot use; the message names the argument, column and rows."""  # noqa: E501
