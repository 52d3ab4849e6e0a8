"""vagg.data.synth."""

__all__: list[str] = []
