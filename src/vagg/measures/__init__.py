"""vagg.measures."""

__all__: list[str] = []
