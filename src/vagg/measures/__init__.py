"""vagg.measures."""
