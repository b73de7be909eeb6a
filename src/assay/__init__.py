"""assay: evaluate the models that judge other models.

``assay.evaluate(benchmark, model, **options) -> Run`` is the Python entry point; heavy libraries
(torch, transformers, datasets) load only when a run needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from assay.runner import Run


def evaluate(benchmark: str, model: Any, **options: Any) -> Run:
    """Evaluate ``model`` (spec string or backend) on ``benchmark``; see ``assay.runner.RunOptions``."""
    from assay.runner import evaluate as _evaluate

    return _evaluate(benchmark, model, **options)


__all__ = ["evaluate", "__version__"]
