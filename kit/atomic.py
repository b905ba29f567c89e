"""Writing without ever leaving a half-written file, and without touching what the kit did
not write.

- `write_text` writes a file beside its target and renames it into place.
- A data folder is replaced only if it is new, empty or a kit data folder (it holds MARKER);
  `check_data_folder` refuses anything else. The new folder is built beside it and swapped
  in with one atomic exchange of the two names (Linux renameat2, macOS renamex_np), so a
  complete folder is in place at every instant; the old one is then deleted.
- Temporary names carry the writer's process id; `clean_stale` removes those of processes
  that no longer run (a killed build), and only those holding the marker.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import sys
import tempfile
from pathlib import Path

from kit.errors import OutputError, RequestError
from kit.paths import MARKER

MARKER_TEXT = ("This folder was written by `kit data build` or `kit data refresh`; the kit "
               "replaces it as a whole when it builds the data again.\n")
_TEMPS: set[Path] = set()  # temporary files of this process not yet renamed or removed


def temp_path(directory: Path, suffix: str) -> Path:
    """A new empty file `.tmp-<pid>-*<suffix>` in `directory`, removed by `clean_temps` if
    the caller is interrupted before it renames or removes it."""
    fd, name = tempfile.mkstemp(prefix=f".tmp-{os.getpid()}-", suffix=suffix, dir=directory)
    os.close(fd)
    _TEMPS.add(Path(name))
    return Path(name)


def done(tmp: Path) -> None:
    """`tmp` was renamed into place or removed: no longer ours to clean up."""
    _TEMPS.discard(tmp)


def clean_temps() -> None:
    """Remove this process's temporary files that are still there (after an interruption)."""
    for tmp in list(_TEMPS):
        tmp.unlink(missing_ok=True)
        _TEMPS.discard(tmp)


def write_text(path: Path, text: str) -> None:
    """Write to a temporary file beside `path`, then rename: never a half-written file. A
    failure (a full disk, a read-only folder) is an OutputError naming the path."""
    try:
        tmp = temp_path(path.parent, path.suffix)
    except OSError as err:
        raise OutputError(f"cannot write {path}: {err.strerror}") from None
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.chmod(0o644)
        os.replace(tmp, path)
    except OSError as err:
        raise OutputError(f"cannot write {path}: {err.strerror}"
                          + ("; free some space or choose another --out"
                             if err.errno == errno.ENOSPC else "")) from None
    finally:
        tmp.unlink(missing_ok=True)
        done(tmp)


def check_output_folder(out: Path, option: str = "--out", create: bool = True) -> Path:
    """`out` once a file could be written in it, else RequestError naming the path and what
    is wrong: a file, a path under a file, a folder that cannot be made or written. With
    `create` the folder is made (and removed again if it proves unwritable); without, the
    nearest existing folder on its path is tried instead and nothing is made."""
    out = Path(out)
    hint = "give a folder you can write to"
    if out.exists() and not out.is_dir():
        raise RequestError(f"{option} {out}: is not a folder; {hint}")
    existing = out
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise RequestError(f"{option} {out}: {existing} is a file, so the folder cannot be "
                           f"made; {hint}")
    try:
        if create:
            out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out if create else existing):
            pass
    except OSError as err:
        for made in [out, *out.parents] if create else []:
            if made == existing:
                break
            try:
                made.rmdir()
            except OSError:
                break
        raise RequestError(f"{option} {out}: cannot write there ({err.strerror}); "
                           f"{hint}") from None
    return out


def check_data_folder(out: Path) -> Path:
    """`out` if a data build may replace it: it does not exist, or is an empty folder, or is
    a kit data folder (holds MARKER). Anything else is refused: the kit never deletes what
    it did not write."""
    out = Path(out)
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise RequestError(f"{out}: the folder is not empty and is not a kit data folder "
                           f"(no {MARKER} file in it), so the kit will not replace it; give a "
                           "new or empty folder with --out, or one the kit wrote")
    return check_output_folder(out, create=False)


def new_data_folder(out: Path) -> Path:
    """A temporary folder beside `out` for the new data, marked as the kit's."""
    tmp = Path(tempfile.mkdtemp(prefix=f".data-{os.getpid()}-", dir=out.parent))
    tmp.chmod(0o755)
    (tmp / MARKER).write_text(MARKER_TEXT)
    return tmp


def replace_folder(tmp: Path, out: Path) -> None:
    """Put the folder `tmp` in place of `out`: a rename if `out` does not exist (or is an
    empty folder), else an atomic exchange of the two names and the removal of the old
    folder, now at `tmp`. Where the system has no exchange, two renames (a brief moment
    with no folder at `out`)."""
    if not out.exists() or (out.is_dir() and not any(out.iterdir())):
        os.replace(tmp, out)
        return
    if _exchange(tmp, out):
        shutil.rmtree(tmp, ignore_errors=True)
        return
    old = out.with_name(f".data-{os.getpid()}-old-{out.name}")
    os.replace(out, old)
    os.replace(tmp, out)
    shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one system call; False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    if sys.platform.startswith("linux") and hasattr(libc, "renameat2"):
        at_fdcwd, rename_exchange = -100, 2
        result = libc.renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b),
                                rename_exchange)
    elif sys.platform == "darwin" and hasattr(libc, "renamex_np"):
        result = libc.renamex_np(os.fsencode(a), os.fsencode(b), 2)  # RENAME_SWAP
    else:
        return False
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):  # the file system cannot
        return False
    raise OSError(code, os.strerror(code), str(b))


def clean_stale(parent: Path) -> list[Path]:
    """Remove the kit's temporary data folders in `parent` left by processes that no longer
    run (a killed build). A folder is removed only if its name carries a dead process id and
    it holds MARKER: never someone else's."""
    removed = []
    for path in Path(parent).glob(".data-*"):
        pid = path.name.split("-")[1] if path.name.count("-") >= 2 else ""
        if path.is_dir() and pid.isdigit() and (path / MARKER).is_file() \
                and not _running(int(pid)):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
