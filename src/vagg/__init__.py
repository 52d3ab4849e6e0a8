"""vagg: virtual agglomeration and exports.

Measures, estimators and end-to-end replications of five empirical studies of how firms
clustering on digital platforms changes exports, on a built-in synthetic economy or on a
user's own firm, customs, platform, input-output and regional data.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
