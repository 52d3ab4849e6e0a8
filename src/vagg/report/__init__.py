"""vagg.report."""
