"""Exceptions that carry a message meant for the user.

The command line prints these as one line and exits non-zero; anything else
is a bug and keeps its traceback.
"""


class TemdefectsError(Exception):
    """Base class for errors caused by the user's input, files or parameters."""


class ConfigError(TemdefectsError, ValueError):
    """A configuration value is missing, of the wrong type or out of range.

    The message starts with the dotted path of the offending field.
    """


class InputFileError(TemdefectsError, OSError):
    """A file or folder given by the user is missing, unreadable or malformed."""
