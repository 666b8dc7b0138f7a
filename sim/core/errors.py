"""Every error class the tool reports to a user as one line (exit status 2).

``ConfigError`` lives in :mod:`sim.config.checks` (the config layer imports nothing of the
project) and is re-exported here so the run code finds every user-facing error in one place.
"""

from __future__ import annotations

from sim.config.checks import ConfigError


class UserError(Exception):
    """An error in the user's input: printed as one line, exit status 2."""


class NetworkError(ValueError):
    """A problem with a network file or a node/road named in config (one-line message)."""


__all__ = ["ConfigError", "NetworkError", "UserError"]
