"""vagg.data.synth."""
