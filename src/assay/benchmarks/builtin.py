"""Imports every built-in benchmark module so each registers itself (``assay list`` shows them all)."""

from assay.benchmarks import (  # noqa: F401
    contrast,
    gsm8k_demo,
    longrewardbench,
    mmrlhf,
    mrewardbench,
    ragrewardbench,
    rewardbench,
    rewardbench2,
    rmb,
    rmbench,
)
