"""Every error class the tool reports to a user as one line (exit status 2).

``ConfigError`` lives in :mod:`sim.config.checks` (the config layer imports nothing of the
project) and is re-exported here so the run code finds every user-facing error in one place;
:func:`did_you_mean` is the nearest-name hint those messages share.
"""

from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches

from sim.config.checks import ConfigError


class UserError(Exception):
    """An error in the user's input: printed as one line, exit status 2."""


class NetworkError(ValueError):
    """A problem with a network file or a node/road named in config (one-line message)."""


class OutputError(UserError):
    """A run folder or output file that cannot be written safely (one line naming the path)."""


class CheckpointError(UserError):
    """A checkpoint in a run folder that is refused: unsigned, altered, foreign or malformed."""


class RunFailed(Exception):
    """The run finished but more replications failed than allowed: one line, exit status 1."""


def did_you_mean(name: str, known: Iterable[str], otherwise: str = "") -> str:
    """``did you mean X?`` for the known name nearest a misspelt ``name`` (difflib), else
    ``otherwise``: the hint of a one-line error about a name that does not exist."""
    near = get_close_matches(name, sorted(known), n=1)
    return f"did you mean {near[0]}?" if near else otherwise


__all__ = [
    "CheckpointError",
    "ConfigError",
    "NetworkError",
    "OutputError",
    "RunFailed",
    "UserError",
    "did_you_mean",
]
