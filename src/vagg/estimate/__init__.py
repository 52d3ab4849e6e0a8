"""vagg.estimate."""
from .matching import psm, Matching
