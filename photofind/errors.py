"""The core's errors. Only the CLI turns them into one-line messages and exit codes."""

from __future__ import annotations


class PhotofindError(Exception):
    """Something the user can fix; the CLI prints it on one line and exits 2."""

    exit_code = 2


class ConfigError(PhotofindError):
    """A config file, environment variable or flag has a bad value."""


class InputError(PhotofindError):
    """A path given on the command line is missing or is not what the command needs."""


class NotAnImageError(InputError):
    """A file could not be decoded as an image."""


class ImageTooLargeError(NotAnImageError):
    """An image has more pixels than index.max_pixels (the decompression-bomb guard)."""


class UnknownModelError(PhotofindError):
    """The model name is not one photofind knows."""


class ModelUnavailableError(PhotofindError):
    """A model's weights or code could not be loaded (no internet, missing extra, bad checkpoint)."""


class NoIndexError(PhotofindError):
    """A query needs an index that has not been built yet."""


class StoreBusyError(PhotofindError):
    """Another process owns the store."""

    def __init__(self, message: str, owner_pid: int | None = None) -> None:
        super().__init__(message)
        self.owner_pid = owner_pid


class StoreMismatchError(PhotofindError):
    """The store was built with settings that differ from the ones asked for now."""


class StoreUnavailableError(PhotofindError):
    """The Chroma server named by store.url cannot be reached."""


class DaemonError(PhotofindError):
    """The daemon did not answer: it stopped, crashed or hangs."""


class Cancelled(PhotofindError):
    """The user pressed Ctrl-C; what was done so far is kept."""

    exit_code = 130
