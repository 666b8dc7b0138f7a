"""The response modules a replication runs, in order.

A module is a Python module with two functions:

- ``attach(world, cfg, roads)``: build its assets from ``cfg`` and subscribe its processes
  to the hazard events it reacts to (and to road changes through ``roads.listeners``);
- ``kpis(rep, events) -> dict[str, float]``: its measures of one replication, computed
  from the event log after the run;
- optional ``tables(rep, events) -> dict[str, DataFrame]``: detail tables (written as
  ``<name>.csv`` over all replications, with a ``rep`` column);
- optional ``figures(tables, conf, outdir)``: PNG figures from the combined tables.

Adding a capability (fire suppression, evacuation, relief) is one module and one line here.
"""

from __future__ import annotations

from sim import evacuation, fire, relief, rescue

RESPONSE_MODULES = [rescue, fire, evacuation, relief]
