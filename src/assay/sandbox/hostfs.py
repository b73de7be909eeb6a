"""The caller's side of the sandbox's file system: what the program may read, what a fresh uid must be
shown, writing the program's files, copying a result out safely, and deleting the directory."""

from __future__ import annotations

import functools
import os
import secrets
import shutil
import stat
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


@functools.cache
def interpreter_paths() -> tuple[str, ...]:
    """Directories the Python interpreter (and the packages it imports) is read from."""
    prefixes = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix]
    paths = [*prefixes, os.path.dirname(os.path.realpath(sys.executable)), os.path.dirname(sys.executable)]
    # package folders only: not the caller's script folder or working directory (sys.path[0])
    roots = tuple(os.path.join(os.path.realpath(p), "") for p in prefixes)
    for p in sys.path:
        if p and os.path.isabs(p):
            real = os.path.join(os.path.realpath(p), "")
            if real.startswith(roots) or "site-packages" in p or "dist-packages" in p:
                paths.append(p)
    out: list[str] = []
    for p in paths:
        if os.path.exists(p):
            out.append(p)
            out.append(os.path.realpath(p))
    return tuple(dict.fromkeys(out))


def hidden_ancestor(path: str) -> str | None:
    """The first directory on ``path`` that others cannot enter (mode without o+x), if any."""
    parts = Path(path).parts
    for i in range(2, len(parts) + 1):
        a = os.path.join(*parts[:i])
        try:
            st = os.stat(a)
        except OSError:
            return None
        if stat.S_ISDIR(st.st_mode) and not st.st_mode & stat.S_IXOTH:
            return a
    return None


def expose_map(paths: Sequence[str]) -> dict[str, list[str]]:
    """For a run as a fresh uid: {hidden directory: [paths under it the program needs]}."""
    out: dict[str, list[str]] = {}
    for p in sorted({os.path.realpath(p) for p in paths if os.path.exists(p)}):
        hidden = hidden_ancestor(p)
        if hidden is None or hidden == p:
            continue
        kept = out.setdefault(hidden, [])
        if not any(p == k or p.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(p)
    return out


def write_files(work: Path, files: Mapping[str, str | bytes] | None) -> None:
    for name, content in (files or {}).items():
        rel = Path(name)
        if rel.is_absolute() or ".." in rel.parts or not rel.parts:
            raise ValueError(f"sandbox file name must be relative and stay inside the directory: {name!r}")
        dest = work / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            dest.write_bytes(content)
            dest.chmod(0o755)
        else:
            dest.write_text(content, encoding="utf-8")


def chown_tree(root: Path, uid: int) -> None:
    for dirpath, dirnames, filenames in os.walk(root):
        os.chown(dirpath, uid, uid)
        for n in dirnames + filenames:
            os.chown(os.path.join(dirpath, n), uid, uid, follow_symlinks=False)


def remove_tree(root: Path) -> None:
    def fix(func: Any, path: str, _exc: Any) -> None:
        try:
            os.chmod(os.path.dirname(path), 0o700)
            if os.path.isdir(path) and not os.path.islink(path):
                os.chmod(path, 0o700)
            func(path)
        except OSError:
            pass

    shutil.rmtree(root, onerror=fix)


EXPORT_MAX_BYTES = 512 * 1024 * 1024


def export_file(work: Path, name: str, dest: Path) -> bool:
    """Copy the regular file ``work/name`` (never a link, never something outside) to ``dest``."""
    rel = Path(name)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise ValueError(f"export name must be relative and stay inside the directory: {name!r}")
    try:
        fd = os.open(work / rel, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > EXPORT_MAX_BYTES:
            return False
        tmp = dest.with_name(dest.name + f".{secrets.token_hex(4)}.tmp")
        with os.fdopen(os.dup(fd), "rb") as src, open(tmp, "wb") as out:
            shutil.copyfileobj(src, out)
        os.chmod(tmp, 0o755)
        os.replace(tmp, dest)
        return True
    finally:
        os.close(fd)
