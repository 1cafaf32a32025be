"""Entry point of the ``temdefects`` command."""

from __future__ import annotations

import contextlib
import logging
import os
import sys

from temdefects.cli.parser import build_parser


class _CurrentStdout(logging.StreamHandler):
    """Writes to whatever ``sys.stdout`` is at the time (tests swap it)."""

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, _value) -> None:
        pass


@contextlib.contextmanager
def _library_log_shown():
    """Library progress (training epochs) goes through ``logging``; while a command runs,
    the CLI prints it plainly on stdout."""
    logger = logging.getLogger("temdefects")
    handler = _CurrentStdout()
    handler.setFormatter(logging.Formatter("%(message)s"))
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def main(argv: list[str] | None = None) -> int:
    """Run a subcommand; user errors print one line and return a non-zero status."""
    from temdefects.errors import TemdefectsError

    # OpenCV's own "[ WARN:0@...]" lines would repeat what our one error line says.
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    # the command as typed: "temdefects loops detect", not "temdefects loops"
    prog = " ".join(["temdefects", args.command, *filter(None, [getattr(args, "action", None)])])
    args.prog = prog  # per-item error lines name the form typed (alias or family form)
    try:
        with _library_log_shown():
            return int(args.run(args) or 0)
    except TemdefectsError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
