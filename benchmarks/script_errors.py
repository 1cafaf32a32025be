"""Run a benchmark's ``main`` so that a user error (a bad ``--model``, a missing
input) ends it with one line and status 1, as the ``temdefects`` command does,
instead of a traceback. Imported by the scripts beside it."""

from __future__ import annotations

import sys
from collections.abc import Callable


def run(main: Callable[[], int]) -> None:
    """``sys.exit(main())``, with a :class:`~temdefects.errors.TemdefectsError` as one line."""
    from temdefects.errors import TemdefectsError

    try:
        sys.exit(main())
    except TemdefectsError as error:
        sys.exit(f"error: {error}")
