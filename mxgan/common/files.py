"""Files and directories that appear whole or not at all: every write in mxgan goes through here.

A file is written under a temporary name beside its destination, flushed to disk and renamed into
place; a directory is filled under a temporary name and renamed likewise; the parent directory is
synced after the rename. A crash, a kill or a full disk leaves the previous version (or nothing),
never a partial file. Temporary names start with `STAGING_PREFIX` and carry the writer's pid.
"""
import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from .checks import UsageError

STAGING_PREFIX = ".tmp-"


def _staging_name(path):
    path = Path(path)
    return path.with_name("%s%d-%s" % (STAGING_PREFIX, os.getpid(), path.name))


@contextlib.contextmanager
def atomic_writer(path):
    """Yield a binary file that replaces ``path`` once the block ends without an error.

    The file gets the usual permissions (0666 less the umask), not ``mkstemp``'s owner-only 0600.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = _staging_name(path)
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(staging, path)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
    sync_to_disk(path.parent)


def atomic_write_bytes(path, payload):
    """Write ``payload`` (bytes) to ``path`` atomically."""
    with atomic_writer(path) as out:
        out.write(payload)


def atomic_write_text(path, text):
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def sync_to_disk(path):
    """Flush a file's data, or a directory's entries (names created, renamed or removed), to
    disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def staged_directory(final):
    """Yield an empty directory beside ``final``; when the block ends without an error, sync
    every file in it and rename it to ``final``, replacing what was there."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = _staging_name(final)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        yield staging
        for path in staging.iterdir():
            sync_to_disk(path)
        sync_to_disk(staging)
        if final.exists():
            shutil.rmtree(final)
        os.replace(staging, final)
        sync_to_disk(final.parent)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def remove_staging_leftovers(directory):
    """Delete what killed writers left in ``directory`` (names starting with `STAGING_PREFIX`
    whose writer process is gone); returns the paths removed."""
    removed = []
    for path in Path(directory).glob(STAGING_PREFIX + "*"):
        if _writer_alive(path.name):
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def _writer_alive(name):
    """Whether the process whose pid a staging name carries still runs (not this one's past)."""
    pid = name[len(STAGING_PREFIX):].split("-", 1)[0]
    if not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ---- paths a user names ---------------------------------------------------------------------

def check_writable_dir(path, flag="--out"):
    """``path`` as a directory this process can create or write into; a `UsageError` naming
    ``flag`` when it is a file, lies under a file or a broken symbolic link, is not writable or
    cannot be a name (too long)."""
    path = Path(path)
    try:
        existing = next(p for p in [path, *path.parents] if p.exists() or p.is_symlink())
    except OSError as err:
        raise UsageError("%s %s: %s" % (flag, path, err.strerror)) from None
    if not existing.exists():
        raise UsageError("%s %s: %s is a symbolic link to %s, which does not resolve"
                         % (flag, path, existing, os.readlink(existing)))
    if not existing.is_dir():
        raise UsageError("%s %s: %s is a file, not a directory" % (flag, path, existing))
    try:
        tempfile.TemporaryFile(dir=existing).close()  # what os.access cannot tell root
    except OSError as err:
        raise UsageError("%s %s: cannot write in %s (%s)"
                         % (flag, path, existing, err.strerror)) from None
    return path


def check_writable_file(path, flag="--out"):
    """``path`` as a file this process can write; a `UsageError` naming ``flag`` otherwise."""
    path = Path(path)
    if path.is_dir():
        raise UsageError("%s %s is a directory: give a file name" % (flag, path))
    check_writable_dir(path.parent, flag)
    return path
