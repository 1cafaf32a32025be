"""Input paths: files, folders and glob patterns expanded to a sorted list of files.

The generic expansion every command uses (:func:`expand_paths`); image
commands add their suffix checks on top (:func:`temdefects.io.frames.expand_inputs`).
"""

from __future__ import annotations

import glob
from pathlib import Path

from temdefects.errors import InputFileError

__all__ = ["expand_paths"]


def expand_paths(items: list[str], suffixes: tuple[str, ...], *, what: str = "input") -> list[Path]:
    """Files from paths, folders (their matching files, sorted) and glob patterns.

    Raises
    ------
    InputFileError
        If an item matches nothing or nothing at all is found.
    """
    found: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            files = sorted(
                p for p in path.iterdir() if p.is_file() and p.suffix.lower() in suffixes
            )
            if not files:
                raise InputFileError(f"{path}: no {what} files ({', '.join(suffixes)}) in folder")
            found.extend(files)
        elif path.is_file():
            found.append(path)
        elif any(ch in item for ch in "*?["):
            files = sorted(Path(p) for p in glob.glob(item) if Path(p).is_file())
            if not files:
                raise InputFileError(f"{item}: pattern matches no file")
            found.extend(files)
        else:
            raise InputFileError(f"{path}: no such file or folder")
    if not found:
        raise InputFileError(f"no {what} files given")
    return found
