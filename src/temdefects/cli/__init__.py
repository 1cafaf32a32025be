"""Command line: ``temdefects <command>``; one module per command, parser in ``parser``."""
