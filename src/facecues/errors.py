"""Errors that facecues reports to users."""


class FacecuesError(Exception):
    """A user-facing error: its message names the file, key or value and what was expected."""


class DataFormatError(FacecuesError):
    """A dataset file is missing or does not match its documented format."""


class ConfigError(FacecuesError):
    """A config that cannot be read, parsed or validated; the message names the file or key."""
