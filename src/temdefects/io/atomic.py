"""Atomic file writes: write a temporary file in the target folder, then rename.

A reader (or a crashed run) never sees a half-written file, and an existing
file is only replaced once its successor is complete.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# mkstemp creates files readable by the owner only; finished files get the usual
# permissions (0666 minus the umask), like files opened with open().
_UMASK = os.umask(0)
os.umask(_UMASK)
_MODE = 0o666 & ~_UMASK


def atomic_write_bytes(path: str | os.PathLike, data: bytes, *, fsync: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically and return the path.

    Parameters
    ----------
    path
        Destination. Its folder must exist.
    data
        The complete file content.
    fsync
        Flush to disk before the rename (durability across power loss). Bulk
        outputs that a resumed run can rebuild may skip it for speed; the rename
        keeps them atomic either way.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, _MODE)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str, *, fsync: bool = True) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically (see :func:`atomic_write_bytes`)."""
    return atomic_write_bytes(path, text.encode("utf-8"), fsync=fsync)


def atomic_write_json(path: str | os.PathLike, obj, *, indent: int | None = 1) -> Path:
    """Strict JSON of ``obj`` plus a final newline, written atomically to ``path``.

    The text is ``jsonfile.dumps(obj, indent=indent) + "\\n"`` (non-finite floats
    as ``null``, see :mod:`temdefects.io.jsonfile`); ``indent=None`` writes one line.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     atomic_write_json(Path(tmp) / "a.json", {"x": float("nan")}).read_text()
    '{\\n "x": null\\n}\\n'
    """
    from temdefects.io import jsonfile as strict_json

    return atomic_write_text(path, strict_json.dumps(obj, indent=indent) + "\n")


def check_output_folder(out: str | os.PathLike, overwrite: bool) -> Path:
    """Refuse an output path that is a file, or a non-empty folder unless ``overwrite``.

    Raises
    ------
    TemdefectsError
        Naming the path and the way out (``--overwrite``).
    """
    from temdefects.errors import TemdefectsError

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise TemdefectsError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise TemdefectsError(f"{out}: output folder is not empty (use --overwrite)")
    return out


def remove_if_empty(folder: str | os.PathLike) -> bool:
    """Remove ``folder`` when it holds nothing (a run that read nothing leaves nothing)."""
    folder = Path(folder)
    try:
        folder.rmdir()  # only succeeds when empty
    except OSError:
        return False
    return True


def temporary_target(name: str) -> str | None:
    """The file a leftover temporary of :func:`atomic_write_bytes` was for, or None.

    Examples
    --------
    >>> temporary_target(".000009.npz.i5ied94g.tmp"), temporary_target("a.png")
    ('000009.npz', None)
    """
    if not (name.startswith(".") and name.endswith(".tmp")):
        return None
    inner = name[1:-4]
    return inner.rsplit(".", 1)[0] if "." in inner else None


def remove_temporaries(
    folder: str | os.PathLike, subfolders: tuple[str, ...] = (), own=None
) -> int:
    """Delete what a killed :func:`atomic_write_bytes` left in ``folder`` and its ``subfolders``.

    Only files named like its temporaries (see :func:`temporary_target`) are
    removed, and with ``own`` only those whose target name ``own(name)`` accepts
    (files of other programs are never touched). Returns how many were removed.
    """
    removed = 0
    for where in (Path(folder), *(Path(folder) / s for s in subfolders)):
        if not where.is_dir():
            continue
        for entry in where.iterdir():
            target = temporary_target(entry.name)
            if target is not None and (own is None or own(target)) and entry.is_file():
                entry.unlink()
                removed += 1
    return removed


def csv_text(rows, columns, *, blank_none: bool = False, lineterminator: str = "\r\n") -> str:
    """CSV text: a header of ``columns`` and one line per dict of ``rows``.

    ``blank_none``: write None (and missing keys) as empty cells and ignore
    other keys; otherwise a key outside ``columns`` is an error, as in
    :class:`csv.DictWriter`.
    """
    import csv
    import io

    columns = list(columns)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator=lineterminator)
    writer.writeheader()
    for row in rows:
        if blank_none:
            row = {k: "" if row.get(k) is None else row[k] for k in columns}
        writer.writerow(row)
    return buf.getvalue()


def atomic_write_csv(path: str | os.PathLike, rows, columns, **kwargs) -> Path:
    """:func:`csv_text` of ``rows`` written atomically to ``path``."""
    return atomic_write_text(path, csv_text(rows, columns, **kwargs))
