"""vagg.studies."""
