"""User-facing errors: the CLI prints their message on one line and exits non-zero."""


class GenvisionError(Exception):
    """An error caused by input the user can fix; its message says what was wrong and what to do."""


class ConfigError(GenvisionError):
    """A config file or override that does not match its schema."""


class DataNotFoundError(GenvisionError):
    """A dataset whose files are not on this machine and cannot be downloaded."""


class BundleError(GenvisionError):
    """A model bundle or checkpoint that is missing, corrupt, pickled or of the wrong kind."""
