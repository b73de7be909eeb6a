"""Critique benchmarks' shared parts: the math answer grader (``assay.critics.grader``) and its helpers.

Submodules are imported where they are used; importing this package loads nothing heavy.
"""
