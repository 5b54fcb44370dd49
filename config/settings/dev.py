"""The embedded demo started by `make run`: the base settings with debugging aids."""

from .base import *  # noqa: F403

DEBUG = True
