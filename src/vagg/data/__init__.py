"""vagg.data."""
