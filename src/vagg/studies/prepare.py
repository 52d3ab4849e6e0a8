"""The data of a run on synthetic data: only the parts of the economy its studies read.

:func:`study_parts` is the union of the parts of the synthetic economy that the studies of a
run declare (``Study.synthetic_parts``; a study that declares none asks for all of them), and
:func:`prepare_synthetic` gets the cached economy with those parts from
:func:`vagg.data.dataset.synthetic_dataset`, which generates only the parts the cache lacks.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from vagg.studies.base import Study

__all__ = ["prepare_synthetic", "study_parts"]


def study_parts(studies: Sequence[Study]) -> tuple[str, ...] | None:
    """The parts of the synthetic economy that ``studies`` read together, in registry order;
    None (the whole economy) when one of them does not declare its parts."""
    from vagg.data.synth.parts import ALL_PARTS

    wanted: set[str] = set()
    for study in studies:
        if study.synthetic_parts is None:
            return None
        wanted.update(study.synthetic_parts)
    return tuple(p for p in ALL_PARTS if p in wanted)


def prepare_synthetic(
    studies: Sequence[Study],
    scale: str,
    seed: int,
    cache_dir: Path,
    *,
    reference_dir: str | Path | None = None,
    console: Console | None = None,
) -> tuple[Path, dict[str, Any]]:
    """The cached synthetic economy at ``scale`` and ``seed`` holding the parts ``studies``
    read (:func:`study_parts`; the parts they require come with them), and what the run's
    manifest records about it: ``source``, ``reused`` (nothing was generated) and ``parts``
    (the parts asked for). On ``console``: a wait for another run's lock is said, and a
    generation shows a progress bar (:func:`vagg.progress.fraction_bar`, cleared when done)."""
    from vagg import progress
    from vagg.data.dataset import synthetic_dataset
    from vagg.data.synth.parts import resolve_parts

    console = console or Console(quiet=True)
    parts = study_parts(studies)
    with progress.fraction_bar(console, f"synth {scale}", transient=True) as report:
        dataset, reused = synthetic_dataset(
            scale,
            seed,
            cache_dir,
            parts=parts,
            reference_dir=reference_dir,
            waiting=console.print,
            progress=report,
        )
    info = {"source": "synthetic", "reused": reused, "parts": list(resolve_parts(parts))}
    return dataset, info
