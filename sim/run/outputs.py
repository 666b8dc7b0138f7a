"""Safe writing inside a run folder: no symlinks followed, atomic files, one-line OS errors.

Every file the tool writes goes into the run folder (Hydra's ``hydra.run.dir``) and nowhere
else:

- a symlink anywhere inside the run folder (planted to redirect a write, e.g.
  ``summary.json -> ~/.bashrc``) is refused, never followed;
- each file is written to a fresh temporary name in its final folder and renamed into place
  (``os.replace``), so a reader never sees half a file and an interrupted run leaves either
  the old file or the new one; a rename replaces a link itself, it never writes through it;
- a folder that already holds an earlier run is not reused unless ``experiment.resume=true``;
- every ``OSError`` (read-only folder, a file where a folder should be, ``/dev/null``, disk
  full) becomes one line naming the path (:class:`OutputError`, exit status 2).

Whole outputs of a run are written into a private staging folder (``.staging-*``, made with
``mkdtemp``: new, mode 0700, holding nothing planted) by the writers as they are, and then
published with :func:`publish`: every destination checked, then file by file renamed. The
wall time goes apart, into ``run_info.json`` (:func:`write_run_info`).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from sim.core.errors import OutputError

# What Hydra itself puts into a run folder before the task starts (not an earlier run).
HYDRA_OWN = (".hydra",)
STAGING_PREFIX = ".staging-"


def os_error_line(exc: OSError, path: Path | str | None = None) -> str:
    """``<path>: <reason>`` for an OSError (the path the OS names, else ``path``)."""
    where = exc.filename if exc.filename is not None else path
    reason = exc.strerror or type(exc).__name__
    return f"{where}: {reason}" if where is not None else reason


@contextlib.contextmanager
def one_line_os_errors(path: Path | str | None = None) -> Iterator[None]:
    """Turn any OSError in the block into :class:`OutputError` with one line naming the path."""
    try:
        yield
    except OutputError:
        raise
    except OSError as exc:
        raise OutputError(os_error_line(exc, path)) from None


def _inside(path: Path, root: Path) -> Path:
    """``path`` relative to ``root`` (OutputError if it is not below it)."""
    try:
        return path.relative_to(root)
    except ValueError:
        raise OutputError(f"{path}: outside the run folder {root}; refusing to write") from None


def refuse_links(path: Path, root: Path) -> None:
    """No component of ``path`` below ``root`` (nor ``path`` itself) is a symbolic link."""
    cur = root
    for part in _inside(path, root).parts:
        cur = cur / part
        if cur.is_symlink():
            raise OutputError(
                f"{cur}: is a symbolic link inside the run folder; refusing to follow it"
            )


def safe_mkdir(path: Path, root: Path) -> None:
    """Create ``path`` (and parents) below ``root`` without following links."""
    refuse_links(path, root)
    with one_line_os_errors(path):
        root.mkdir(parents=True, exist_ok=True)
        path.mkdir(parents=True, exist_ok=True)
    refuse_links(path, root)


def atomic_write(path: Path, data: bytes, root: Path) -> None:
    """Write ``data`` to ``path`` below ``root``: temp file in the same folder, then rename."""
    safe_mkdir(path.parent, root)
    if path.is_dir():
        raise OutputError(f"{path}: is a folder; refusing to replace it")
    with one_line_os_errors(path):
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            refuse_links(path, root)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


def atomic_write_text(path: Path, text: str, root: Path) -> None:
    """:func:`atomic_write` of UTF-8 text."""
    atomic_write(path, text.encode("utf-8"), root)


def staging(root: Path) -> Path:
    """A new private folder inside ``root`` for a run's outputs (see :func:`publish`)."""
    safe_mkdir(root, root)
    with one_line_os_errors(root):
        return Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=root))


def publish(stage: Path, root: Path) -> list[Path]:
    """Move every file of ``stage`` to the same place below ``root``: every destination is
    checked first (:func:`_check_destination`), and only then is each file renamed into
    place, so a refusal leaves ``root`` as it was. Each rename is atomic and never goes
    through a link (the links are checked again just before it)."""
    moves = []
    with one_line_os_errors(root):
        for src in sorted(stage.rglob("*")):
            if src.is_symlink():
                raise OutputError(f"{src}: a writer made a symbolic link; refusing it")
            if not src.is_dir():
                dest = root / src.relative_to(stage)
                _check_destination(dest, root)
                moves.append((src, dest))
        for src, dest in moves:
            safe_mkdir(dest.parent, root)
            refuse_links(dest, root)
            os.replace(src, dest)
        shutil.rmtree(stage)
    return [dest for _, dest in moves]


def _check_destination(dest: Path, root: Path) -> None:
    """``dest`` below ``root`` can take a file by rename, without changing anything: no
    symbolic link on the way, no file where one of its folders goes, no folder in its place."""
    refuse_links(dest, root)
    cur = root
    for part in _inside(dest.parent, root).parts:
        cur = cur / part
        if cur.exists() and not cur.is_dir():
            raise OutputError(f"{cur}: is not a folder; refusing to replace it")
    if dest.is_dir():
        raise OutputError(f"{dest}: is a folder; refusing to replace it")


def discard(stage: Path) -> None:
    """Remove a staging folder left by a failed write (best effort)."""
    shutil.rmtree(stage, ignore_errors=True)


@contextlib.contextmanager
def staged(root: Path) -> Iterator[Path]:
    """A :func:`staging` folder for the block to write into, published into ``root`` when
    the block ends without error (an OSError in it: one line naming the path) and removed in
    any case (:func:`discard`)."""
    stage = staging(root)
    try:
        with one_line_os_errors(root):
            yield stage
        publish(stage, root)
    finally:
        discard(stage)


def write_run_info(root: Path, wall_time_s: float) -> None:
    """``run_info.json`` in the run folder ``root`` (atomic, links refused): what differs
    between two runs of the same config, the wall time (and the numpy version), kept out of
    the summaries so that they are reproducible."""
    info = {"wall_time_s": round(wall_time_s, 3), "numpy": np.__version__}
    atomic_write_text(root / "run_info.json", json.dumps(info), root)


def earlier_run(root: Path) -> list[str]:
    """Names in ``root`` that an earlier run left (anything but Hydra's own set-up files)."""
    if not root.is_dir():
        return []
    job_logs = {p.name for p in root.glob("*.log") if p.is_file() and not p.is_symlink()}
    own = set(HYDRA_OWN) | job_logs
    return sorted(p.name for p in root.iterdir() if p.name not in own)


def check_run_folder(
    root: Path, resume: bool, field: str = "hydra.run.dir", resumable: bool = True
) -> None:
    """Before a run writes anything: ``root`` is a folder we may create and write, holds no
    earlier run (unless ``resume``) and no symbolic links. Raises :class:`OutputError`.

    Writability is probed by making (and removing) a temporary folder in the nearest
    existing ancestor, which also catches read-only file systems and immutable folders for
    the root user, whom ``os.access`` would wrongly clear.
    """
    root = Path(root)
    if root.exists() or root.is_symlink():
        if root.is_symlink() and not root.exists():
            raise OutputError(f"{field}={root}: a broken symbolic link")
        if not root.is_dir():
            raise OutputError(f"{field}={root}: exists and is not a folder")
        left = earlier_run(root)
        if left and not resume:
            raise OutputError(
                f"{field}={root}: holds an earlier run ({', '.join(left[:3])}"
                f"{', ...' if len(left) > 3 else ''}); choose a new folder"
                + (
                    ", or add experiment.resume=true to continue it"
                    if resumable
                    else " (compare and search keep no checkpoints to resume)"
                )
            )
        _refuse_links_below(root)
        probe_at = root
    else:
        probe_at = root.parent
        while not probe_at.exists() and probe_at != probe_at.parent:
            probe_at = probe_at.parent
        if not probe_at.is_dir():
            raise OutputError(f"{field}={root}: cannot be created, {probe_at} is not a folder")
    try:
        Path(tempfile.mkdtemp(prefix=".probe-", dir=probe_at)).rmdir()
    except OSError as exc:
        raise OutputError(f"{field}={root}: cannot write in {probe_at} ({exc.strerror})") from None


def _refuse_links_below(root: Path, depth: int = 3) -> None:
    """No symbolic link in ``root`` or its subfolders (a few levels: .hydra, replications)."""
    stack = [(root, 0)]
    while stack:
        folder, d = stack.pop()
        with one_line_os_errors(folder):
            entries = list(folder.iterdir())
        for p in entries:
            if p.is_symlink():
                raise OutputError(
                    f"{p}: is a symbolic link inside the run folder; refusing to follow it"
                )
            if p.is_dir() and d < depth:
                stack.append((p, d + 1))


def json_safe(value):
    """Plain JSON: numpy scalars as Python numbers, arrays as lists, NaN and infinities as
    null."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return [json_safe(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(path: Path, data) -> None:
    """``data`` as indented UTF-8 JSON (through :func:`json_safe`), into a staging folder."""
    path.write_text(json.dumps(json_safe(data), indent=2, ensure_ascii=False), encoding="utf-8")
