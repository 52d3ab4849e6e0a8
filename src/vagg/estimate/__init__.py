"""vagg.estimate."""
