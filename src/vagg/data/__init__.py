"""vagg.data."""

__all__: list[str] = []
