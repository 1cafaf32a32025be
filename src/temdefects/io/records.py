"""JSON records that identify themselves by a ``format`` key."""

from __future__ import annotations

import json
import os
from pathlib import Path

from temdefects.errors import InputFileError


def read_json_record(
    path: str | os.PathLike, *, expected_format: str, what: str, missing: str = "not found"
) -> dict:
    """Load a JSON object whose ``format`` must be ``expected_format``.

    Raises
    ------
    InputFileError
        One line naming the file: ``missing``, unreadable/corrupted JSON, or
        ``not a <what>`` for another format.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: {missing}")
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(f"{path}: corrupted, not readable JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != expected_format:
        raise InputFileError(f"{path}: not a {what} (expected format {expected_format!r})")
    return data
