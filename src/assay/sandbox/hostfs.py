"""The caller's side of the sandbox's file system: what the program may read, the fresh uid a root caller's
program runs as (from the ids this user namespace maps) and what it must be shown, writing the program's
files, copying a result out safely, and deleting the directory."""

from __future__ import annotations

import functools
import os
import secrets
import shutil
import stat
import sys
import threading
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


FRESH_ID_RANGE = (10_000_000, 1_010_000_000)  # preferred: far above any real user
_ids_lock = threading.Lock()
_ids_in_use: set[int] = set()


def id_ranges(text: str) -> list[tuple[int, int]]:
    """[start, end) of the ids usable in this user namespace, from /proc/self/uid_map (or gid_map) text."""
    out = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            inside, _outside, count = map(int, parts)
            out.append((inside, inside + count))
    return out


def _intersect(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    for s1, e1 in a:
        for s2, e2 in b:
            s, e = max(s1, s2), min(e1, e2)
            if s < e:
                out.append((s, e))
    return out


def pick_fresh_id(uid_map: str, gid_map: str, taken: set[int], tries: int = 64) -> int | None:
    """An id mapped both as uid and gid, not 0..999, nor 65534/65535/2**32-1, nor a user or group of this
    system, nor in ``taken``; from 10,000,000..1,009,999,999 where that is mapped (the initial namespace),
    else anywhere mapped (a container's user namespace: ``0 100000 65536``). None when there is none
    (``unshare --map-root-user`` maps only 0)."""
    ranges = _intersect(id_ranges(uid_map), id_ranges(gid_map))
    ranges = _intersect(ranges, [(1000, 65534), (65536, 2**32 - 1)])
    preferred = _intersect(ranges, [FRESH_ID_RANGE])
    pool = preferred or ranges
    total = sum(e - s for s, e in pool)
    if total == 0:
        return None
    system = _system_ids() if not preferred else set()
    for _ in range(tries):
        i, cand = secrets.randbelow(total), -1
        for s, e in pool:
            if i < e - s:
                cand = s + i
                break
            i -= e - s
        if cand not in taken and cand not in system:
            return cand
    return None


def _system_ids() -> set[int]:
    ids: set[int] = set()
    for path in ("/etc/passwd", "/etc/group"):
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                for line in f:
                    parts = line.split(":")
                    if len(parts) > 2 and parts[2].isdigit():
                        ids.add(int(parts[2]))
                    if path == "/etc/passwd" and len(parts) > 3 and parts[3].isdigit():
                        ids.add(int(parts[3]))
        except OSError:
            continue
    return ids


def claim_fresh_id() -> int | None:
    """A fresh uid (= gid) for one run, not used by another run of this process; ``release_id`` after."""

    def read(path: str) -> str:
        try:
            with open(path, encoding="ascii") as f:
                return f.read()
        except OSError:
            return ""

    with _ids_lock:
        got = pick_fresh_id(read("/proc/self/uid_map"), read("/proc/self/gid_map"), _ids_in_use)
        if got is not None:
            _ids_in_use.add(got)
        return got


def release_id(uid: int) -> None:
    with _ids_lock:
        _ids_in_use.discard(uid)


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
    """Copy the regular file ``work/name`` (never a link, never something outside) to ``dest``.

    Every component of ``name`` is opened with O_NOFOLLOW relative to the previous one, so a directory
    the program replaced by a link (``out -> /root``) is refused as well as a linked file.
    """
    rel = Path(name)
    if rel.is_absolute() or ".." in rel.parts or not rel.parts:
        raise ValueError(f"export name must be relative and stay inside the directory: {name!r}")
    fd = _open_beneath(work, rel.parts)
    if fd is None:
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


def _open_beneath(work: Path, parts: Sequence[str]) -> int | None:
    """``work/parts...`` opened for reading without following a link anywhere on the way, or None."""
    dir_flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        cur = os.open(work, dir_flags)
    except OSError:
        return None
    try:
        for part in parts[:-1]:
            nxt = os.open(part, dir_flags, dir_fd=cur)
            os.close(cur)
            cur = nxt
        return os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=cur)
    except OSError:
        return None
    finally:
        os.close(cur)
