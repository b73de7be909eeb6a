"""Imports every built-in benchmark module so each registers itself (``assay list`` shows them all)."""

from assay.benchmarks import gsm8k_demo, rewardbench, rewardbench2, rmbench  # noqa: F401
