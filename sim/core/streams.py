"""Random streams for common random numbers.

``SeedSequence(seed)`` -> one child per replication (spawn key ``(rep,)``) -> one named
stream per purpose, derived by a *fixed* key from the stream's name. A process asks for the
stream it needs by name; adding a stream, a team or a depot never shifts another stream, so
two layouts run with the same seed see exactly the same disasters.
"""

from __future__ import annotations

import zlib

import numpy as np

# Shape of the gamma distribution of every call-out, activation and mobilisation delay
# (rescue teams, mutual aid, repair crews, forest-fire teams, relief fleets and call-offs):
# coefficient of variation 0.5.
GAMMA_SHAPE = 4.0  # ASSUMPTION: no call-out time data in the plans (sim/rescue/mobilisation.py)

# Stream names used by the shipped modules (any other name works as well).
STREAMS = ("hazard", "mobilisation", "travel", "behaviour", "service", "fire", "logistics")


def unit_id(key: str, j: int, count: int) -> str:
    """Name of unit ``j`` of a config group of ``count`` units (teams, crews, vehicles,
    shelters): the group's key for a group of one, else ``key_001``, ``key_002``, ..."""
    return key if count == 1 else f"{key}_{j + 1:03d}"


def unit_stream(key: str, j: int) -> str:
    """The name unit ``j`` of a config group draws its random numbers under: the group's key
    for the first unit whatever the group's size, ``key_002``, ``key_003``, ... for the others.

    Adding a unit to a group of one then leaves the first unit's draws as they were (common
    random numbers). Drawing under the unit's name, ``key`` became ``key_001`` and drew anew:
    a second team made the first one slower in some replications."""
    return key if j == 0 else f"{key}_{j + 1:03d}"


def stream_key(name: str) -> int:
    """Fixed 32-bit key of a stream name (CRC32: stable across Python runs and versions)."""
    return zlib.crc32(name.encode("utf-8"))


class Streams:
    """Named, independent random generators of one replication."""

    def __init__(self, seed: int, replication: int) -> None:
        self.seed = int(seed)
        self.replication = int(replication)
        self._cache: dict[str, np.random.Generator] = {}

    def __call__(self, name: str) -> np.random.Generator:
        """The generator for ``name`` (the same object on every call within a replication)."""
        g = self._cache.get(name)
        if g is None:
            ss = np.random.SeedSequence(self.seed, spawn_key=(self.replication, stream_key(name)))
            g = self._cache[name] = np.random.Generator(np.random.PCG64(ss))
        return g

    def fresh(self, name: str) -> np.random.Generator:
        """A new generator for ``name`` starting from the beginning of that stream."""
        ss = np.random.SeedSequence(self.seed, spawn_key=(self.replication, stream_key(name)))
        return np.random.Generator(np.random.PCG64(ss))
