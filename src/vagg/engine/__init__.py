"""vagg.engine."""
