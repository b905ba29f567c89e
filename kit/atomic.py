"""Writing without ever leaving a half-written file, and without touching what the kit did
not write.

- `write_text` writes a file beside its target and renames it into place.
- A data folder is replaced only if it is new, empty or a kit data folder (its MARKER is the
  kit's and lists every file the kit wrote there) with nothing else in it;
  `check_data_folder` refuses anything else, naming what is in the way. The new folder is
  built beside it and swapped in with one atomic exchange of the two names (Linux
  renameat2, macOS renamex_np), so a complete folder is in place at every instant; the old
  one is then deleted.
- Temporary names carry the writer's process id; `clean_stale` removes those of processes
  that no longer run (a killed build), and only those holding the marker.
- One writer at a time: `writing(out)` holds a lock file in the kit's cache (filelock) for a
  command's whole read-modify-swap; a second command waits for it, saying so, for
  $KIT_DATA_WAIT seconds (`--wait`; default: as long as it takes), then gives up.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from kit.errors import OutputError, RequestError
from kit.paths import MARKER

MARKER_TEXT = ("This folder was written by `kit data build` or `kit data refresh`; the kit "
               "replaces it as a whole when it builds the data again.\n")
_TEMPS: set[Path] = set()  # temporary files of this process not yet renamed or removed
WAIT_ENV = "KIT_DATA_WAIT"  # seconds a data command waits for another to finish writing


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


def mark(folder: Path, files) -> None:
    """Write the marker of a kit data folder: who wrote it and every file it wrote there."""
    (Path(folder) / MARKER).write_text(MARKER_TEXT + "".join(f"file: {name}\n"
                                                              for name in sorted(files)))


def kit_files(folder: Path) -> set[str] | None:
    """The files the kit wrote in `folder`, as its marker lists them; None where the folder
    has no marker the kit wrote (none, or one made by hand). A marker of an earlier kit
    lists none: then the tables and README.md it always wrote."""
    try:
        text = (Path(folder) / MARKER).read_text()
    except (OSError, UnicodeDecodeError):
        return None
    if not text.startswith(MARKER_TEXT):
        return None
    from kit.schema import TABLES
    listed = {line[len("file: "):] for line in text.splitlines() if line.startswith("file: ")}
    return listed or {t.filename for t in TABLES.values()} | {"README.md"}


def check_data_folder(out: Path) -> Path:
    """`out` if a data build may replace it: it does not exist, or is an empty folder, or is
    a kit data folder (its marker is the kit's) holding only the files the kit wrote there.
    Anything else is refused: the kit never deletes what it did not write."""
    out = Path(out)
    if out.is_dir() and any(out.iterdir()):
        mine = kit_files(out)
        if mine is None:
            raise RequestError(f"{out}: the folder is not empty and is not a kit data folder "
                               f"(no {MARKER} file the kit wrote in it), so the kit will not "
                               "replace it; give a new or empty folder with --out, or one the "
                               "kit wrote")
        others = sorted(p.name + ("/" if p.is_dir() else "") for p in out.iterdir()
                        if p.name != MARKER and p.name not in mine)
        if others:
            raise RequestError(f"{out}: holds what the kit did not write there "
                               f"({', '.join(others)}); the kit replaces a data folder as a "
                               "whole, so it changes nothing: move those out, or give another "
                               "folder with --out")
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


_LEFTOVER = re.compile(r"(?:\.tmp|kit-kernel|kit-worker)-(\d+)-")


def clean_leftovers(folder: Path | None = None) -> list[Path]:
    """Remove what runs that were killed (kill -9, a power cut) left behind: `.tmp-<pid>-*`
    files in `folder`, and `kit-kernel-<pid>-*` and `kit-worker-<pid>-*` folders in the
    system's temporary folder, of processes that no longer run. Names without a pid, and
    anything of a running process, are left alone."""
    found = [p for p in _entries(Path(tempfile.gettempdir()))
             if p.name.startswith(("kit-kernel-", "kit-worker-")) and p.is_dir()]
    if folder:
        found += [p for p in _entries(Path(folder)) if p.name.startswith(".tmp-") and p.is_file()]
    removed = []
    for path in found:
        pid = _LEFTOVER.match(path.name)
        if not pid or _running(int(pid[1])):
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def _entries(place: Path) -> list[Path]:
    try:
        return list(place.iterdir())
    except OSError:
        return []


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


def lock_path(out: Path) -> Path:
    """The lock file of the data folder `out`, in the kit's cache (never among the user's
    files), named by the folder's absolute path."""
    from kit.paths import cache_dir
    key = hashlib.sha256(str(Path(out).resolve()).encode()).hexdigest()[:20]
    return cache_dir() / "locks" / f"data-{key}.lock"


@contextmanager
def writing(out: Path, log=print) -> Iterator[None]:
    """Hold the data folder `out` for one command's read-modify-swap, so that two commands
    that write it (build, refresh, add, remove) never lose each other's changes: the second
    waits, saying for what, and goes on when the first is done; after $KIT_DATA_WAIT seconds
    (unset or negative: no limit) it gives up with OutputError and changes nothing."""
    raw = os.environ.get(WAIT_ENV, "").strip()
    try:
        wait = float(raw) if raw else -1.0
    except ValueError:
        raise RequestError(f"{WAIT_ENV}={raw!r} is not a number of seconds; give one, e.g. "
                           "60, or leave it unset to wait as long as it takes") from None
    out = Path(out)
    lock_path(out).parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(lock_path(out))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        log(f"waiting: another kit command is writing {out} (lock {lock.lock_file})"
            + (f"; giving up after {wait:g} s" if wait >= 0 else ""))
        try:
            lock.acquire(timeout=wait)
        except Timeout:
            raise OutputError(f"{out} is busy: another kit command was still writing it after "
                              f"{wait:g} s; {out} is unchanged by this one. Run it again when "
                              f"the other is done, or wait longer (--wait SECONDS, "
                              f"${WAIT_ENV})") from None
    try:
        yield
    finally:
        lock.release()
