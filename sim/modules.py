"""The response modules a replication runs, in the order they attach.

Each is a package satisfying :class:`sim.core.module.ResponseModule` (its ``__init__``
defines ``check_nodes``, ``attach``, ``kpis``, ``produces``, ``tables``, ``write_figures``,
``map_layers`` and the rest of the protocol).
Adding a capability is one package under ``sim/``, one line here and one section in
``sim/config/``.
"""

from __future__ import annotations

from sim import evacuation, fire, relief, rescue
from sim.core.module import ResponseModule

RESPONSE_MODULES: list[ResponseModule] = [rescue, fire, evacuation, relief]
