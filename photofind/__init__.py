"""photofind: search a personal photo collection by example image."""

__version__ = "0.1.0"
