"""Entry point of the ``temdefects`` command."""

from __future__ import annotations

import sys

from temdefects.cli.parser import build_parser


def main(argv: list[str] | None = None) -> int:
    """Run a subcommand; user errors print one line and return a non-zero status."""
    from temdefects.errors import TemdefectsError

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except TemdefectsError as exc:
        print(f"temdefects {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"temdefects {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
