"""Files and directories that appear whole or not at all: every write in mxgan goes through here.

A file is written under a temporary name beside its destination, flushed to disk and renamed into
place; a directory is filled under a temporary name and renamed likewise; the parent directory is
synced after the rename. A crash, a kill or a full disk leaves the previous version (or nothing),
never a partial file. Temporary names start with `STAGING_PREFIX` and carry the writer's pid.

A write that fails because of where it goes (a full or read-only disk, no permission) raises
`WriteFailed`, which names the file and the free space there; command-line tools end with it as
one line and `WRITE_FAILED_EXIT` (`mxgan.cli.parsers.main_guard`).
"""
import contextlib
import errno
import os
import shutil
import tempfile
from pathlib import Path

from .checks import UsageError

STAGING_PREFIX = ".tmp-"
WRITE_FAILED_EXIT = 4  # beside 2 (a user error), 3 (diverged), 130 and 143 (Ctrl-C, SIGTERM)
# Errors of the storage a file goes to, not of what is written: full, over quota, read-only,
# not permitted, too large for the filesystem, failing.
STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM,
                            errno.EFBIG, errno.EIO})


class WriteFailed(OSError):
    """A file could not be written where it goes (full or read-only disk, no permission).

    The message names the file and the free space on its filesystem; whoever knows the run it
    belongs to adds what survived (``survivors``, see `mxgan.runs.survivors`).
    """

    exit_code = WRITE_FAILED_EXIT

    def __init__(self, path, reason, code=None):
        super().__init__(code, reason, str(path))
        self.path, self.reason, self.survivors = Path(path), reason, None

    @classmethod
    def from_os_error(cls, err, path=None):
        """The `WriteFailed` of a storage error ``err`` (see `is_storage_error`) writing ``path``
        (default: the file the error names)."""
        return cls(path or err.filename or "a file", err.strerror or str(err), err.errno)

    def __str__(self):
        text = "cannot write %s: %s (%s free on its filesystem now)" % (
            self.path, self.reason, format_bytes(free_bytes(self.path)))
        return text + ("; %s" % self.survivors if self.survivors else "")


def is_storage_error(err):
    """Whether ``err`` is an OSError of the storage itself (`STORAGE_ERRNOS`)."""
    return isinstance(err, OSError) and err.errno in STORAGE_ERRNOS


@contextlib.contextmanager
def writing(path):
    """Raise a storage error (`is_storage_error`) of the block as `WriteFailed` naming ``path``."""
    try:
        yield
    except WriteFailed:
        raise
    except OSError as err:
        if not is_storage_error(err):
            raise
        raise WriteFailed.from_os_error(err, path) from None


def free_bytes(path):
    """Bytes free to this process on the filesystem that holds (or would hold) ``path``."""
    existing = next((p for p in [Path(path), *Path(path).parents] if p.exists()), Path("/"))
    try:
        return shutil.disk_usage(existing).free
    except OSError:
        return 0


def format_bytes(count):
    """``1536`` -> ``1.5 KiB``: a byte count as people read it."""
    value = float(count)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(value) < 1024 or unit == "PiB":
            break
        value /= 1024
    return "%d bytes" % count if unit == "bytes" else "%.1f %s" % (value, unit)


def storage_fault(directory, nbytes):
    """The `WriteFailed` that explains why a foreign writer (MXNet's, which reports only "write
    incomplete") could not write ``nbytes`` into ``directory``, or None when the storage is
    not at fault: a read-only filesystem, less free space than that, or a probe file that
    cannot be written."""
    directory = Path(directory)
    if os.statvfs(directory).f_flag & os.ST_RDONLY:
        return WriteFailed(directory, os.strerror(errno.EROFS), errno.EROFS)
    if free_bytes(directory) < nbytes:
        return WriteFailed(directory, os.strerror(errno.ENOSPC), errno.ENOSPC)
    try:
        with tempfile.TemporaryFile(dir=directory) as probe:
            probe.write(b"\0" * min(nbytes, 1 << 20))
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as err:
        return WriteFailed.from_os_error(err, directory) if is_storage_error(err) else None
    return None


def _staging_name(path):
    path = Path(path)
    return path.with_name("%s%d-%s" % (STAGING_PREFIX, os.getpid(), path.name))


@contextlib.contextmanager
def atomic_writer(path):
    """Yield a binary file that replaces ``path`` once the block ends without an error.

    The file gets the usual permissions (0666 less the umask), not ``mkstemp``'s owner-only 0600.
    """
    path = Path(path)
    staging = _staging_name(path)
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
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
    staging = _staging_name(final)
    try:
        with writing(final):
            final.parent.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir()
        try:
            yield staging
        except WriteFailed as err:
            if staging in err.path.parents:  # named as it would have been, not by its staging
                err.path = final / err.path.relative_to(staging)
            raise
        with writing(final):
            for path in staging.iterdir():
                sync_to_disk(path)
            sync_to_disk(staging)
            if final.exists():
                remove_tree(final)
            os.replace(staging, final)
            sync_to_disk(final.parent)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def remove_tree(path):
    """Delete a directory at once: renamed to a staging name first, so a kill in the middle
    leaves a leftover (`remove_staging_leftovers`), never half of it under its own name."""
    doomed = _staging_name(Path(path).with_name("removed-" + Path(path).name))
    os.replace(path, doomed)
    shutil.rmtree(doomed, ignore_errors=True)


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
    ``flag`` when it is a file, lies under a file or a broken symbolic link or cannot be a name
    (too long), a `WriteFailed` when its filesystem refuses a file (read-only, not permitted)."""
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
        if is_storage_error(err):  # read-only, not permitted, full: a failed write's own error
            raise WriteFailed.from_os_error(err, existing) from None
        raise UsageError("%s %s: cannot write in %s (%s)"
                         % (flag, path, existing, err.strerror)) from None
    return path


def check_writable_file(path, flag="--out"):
    """``path`` as a file this process can write; a `UsageError` naming ``flag`` otherwise (a
    device, pipe or socket too: the new file would be renamed over it, replacing it)."""
    path = Path(path)
    if path.is_dir():
        raise UsageError("%s %s is a directory: give a file name" % (flag, path))
    if path.exists() and not path.is_file():
        raise UsageError("%s %s is a device, pipe or socket, not a file: give a file name"
                         % (flag, path))
    check_writable_dir(path.parent, flag)
    return path
