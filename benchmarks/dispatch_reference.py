"""The dispatch benchmark's logic without SimPy: a heapq event loop over plain Python lists.

A yardstick for the model's cost per incident (``bench_events.py --reference``): the same
workload and the same decisions as :class:`sim.rescue.service.RescueService` with the
``nearest`` policy, one capability class, one team per incident, no closures, and teams
that assemble in one stage (gamma, shape 4) when called out from home:

- a new incident goes to the free team with the earliest expected arrival: mean assembly
  (if the team stands down at home) + road minutes from its position (+ ``local_min`` within
  its own node), lowest team index on ties; a team driving home counts as being at the
  scene it left (as the model does);
- otherwise it waits in FIFO order; a team freed at a scene takes the oldest waiting
  incident; with none it drives home (stands down at once if the scene is its home);
- a team re-tasked while driving home finishes the road it is on, then drives to the
  incident from the end of that road;
- work takes ``work_min`` x ``ref_crew`` / crew minutes.

Travel times are the same shortest-path rows (scipy's Dijkstra, rooted at the destination
as in the model) and the same float operations, so every time matches the model exactly;
``bench_events.py --reference`` checks the first arrival and the team of every incident.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_right
from dataclasses import dataclass
from itertools import count

from scipy.sparse.csgraph import dijkstra

from sim.core.network import RoadNetwork
from sim.core.streams import GAMMA_SHAPE, Streams

# event kinds, in the order of their handlers below
ALARM, ASSEMBLED, AT_SCENE, WORK_DONE, HOME, ROAD_END = range(6)


@dataclass
class RefResult:
    """Per incident: first arrival and team sent; and the number of heap events."""

    first_arrival: list[float]
    team: list[int]
    resolved: list[float]
    events: int
    busy_min: float  # team-minutes from dispatch to free (for the utilisation)


def run_reference(
    net: RoadNetwork,
    homes: list[int],
    team_ids: list[str],
    alarm: list[float],
    node: list[int],
    work: list[float],
    streams: Streams,
    assembly_min: float = 5.0,
    local_min: float = 10.0,
    crew_rate: float = 1.0,
) -> RefResult:
    """Run the benchmark workload to the end; shortest paths are computed as needed."""
    n_inc = len(alarm)
    rows: dict[int, list[float]] = {}  # destination -> minutes from every node
    routes: dict[tuple[int, int], tuple[list[int], list[float]]] = {}  # (o, d) -> nodes, cum
    trees: dict[int, tuple[list[float], list[int]]] = {}  # origin -> minutes, predecessors
    matrix = net._state().forward

    def row(d: int) -> list[float]:
        r = rows.get(d)
        if r is None:
            r = rows[d] = dijkstra(matrix, indices=d).tolist()
        return r

    def route(o: int, d: int) -> tuple[list[int], list[float]]:
        got = routes.get((o, d))
        if got is None:
            tree = trees.get(o)
            if tree is None:  # one tree per origin, as the model caches it
                dist, pred = dijkstra(matrix, indices=o, return_predecessors=True)
                tree = trees[o] = (dist.tolist(), pred.tolist())
            dist, pred = tree
            nodes = [d]
            while nodes[-1] != o:
                nodes.append(pred[nodes[-1]])
            nodes.reverse()
            got = routes[(o, d)] = (nodes, [dist[v] for v in nodes])
        return got

    k = len(homes)
    rngs = [streams(f"mobilisation/{tid}") for tid in team_ids]
    scale = assembly_min * 1.0 / GAMMA_SHAPE
    loc = list(homes)  # position used for dispatch (the scene while driving home)
    at = list(homes)  # where the team is (its last node)
    at_home = [True] * k
    free = [True] * k
    returning = [False] * k
    trip = [(0.0, 0, 0)] * k  # depart time, origin, destination of the trip home
    version = [0] * k  # invalidates a HOME event when the team is re-tasked
    task = [-1] * k
    busy_from = [0.0] * k
    busy = 0.0
    waiting: list[int] = []
    w_head = 0
    first = [math.nan] * n_inc
    sent = [-1] * n_inc
    resolved = [math.nan] * n_inc
    push, pop = heapq.heappush, heapq.heappop
    seq = count(1)
    heap: list[tuple] = [(alarm[0], 0, ALARM, 0)] if n_inc else []
    n_events = 0

    def depart(j: int, i: int, now: float) -> None:
        d = node[i]
        t = (rows.get(d) or row(d))[at[j]]
        if at[j] == d:
            t += local_min
        push(heap, (now + t, next(seq), AT_SCENE, j))

    def dispatch(j: int, i: int, now: float) -> None:
        free[j] = False
        task[j] = i
        sent[i] = j
        busy_from[j] = now
        if returning[j]:  # finish the road it is on, then go
            returning[j] = False
            version[j] += 1
            t0, o, d = trip[j]
            nodes, cum = routes.get((o, d)) or route(o, d)
            elapsed = now - t0
            m = bisect_right(cum, elapsed) - 1
            if m >= len(nodes) - 1:
                stop, dt = nodes[-1], 0.0
            else:
                stop, dt = nodes[m + 1], float(cum[m + 1] - elapsed)
            end = now + dt
            at[j] = stop
            if now < end - 1e-12:
                push(heap, (now + (end - now), next(seq), ROAD_END, j))
            else:
                depart(j, i, now)
        elif at_home[j]:
            at_home[j] = False
            g = rngs[j].gamma(GAMMA_SHAPE, scale)
            push(heap, (now + g, next(seq), ASSEMBLED, j))
        else:
            depart(j, i, now)

    while heap:
        now, _, kind, x = pop(heap)
        n_events += 1
        if kind == ALARM:
            if x + 1 < n_inc:  # the next alarm (one pending at a time, like a replay)
                push(heap, (alarm[x + 1], next(seq), ALARM, x + 1))
            d = node[x]
            r = rows.get(d) or row(d)
            best, best_c = -1, math.inf
            for j in range(k):
                if free[j]:
                    c = r[loc[j]]
                    if loc[j] == d:
                        c += local_min
                    c = c + (assembly_min if at_home[j] else 0.0)
                    if c < best_c:
                        best, best_c = j, c
            if best < 0:
                waiting.append(x)
            else:
                dispatch(best, x, now)
        elif kind in (ASSEMBLED, ROAD_END):
            depart(x, task[x], now)
        elif kind == AT_SCENE:
            i = task[x]
            at[x] = node[i]
            first[i] = now
            push(heap, (now + work[i] / crew_rate, next(seq), WORK_DONE, x))
        elif kind == WORK_DONE:
            i = task[x]
            resolved[i] = now
            busy += now - busy_from[x]
            task[x] = -1
            free[x] = True
            loc[x] = at[x]
            if w_head < len(waiting):
                dispatch(x, waiting[w_head], now)
                w_head += 1
            elif at[x] != homes[x]:
                returning[x] = True
                h = homes[x]
                trip[x] = (now, at[x], h)
                push(heap, (now + (rows.get(h) or row(h))[at[x]], next(seq), HOME, (x, version[x])))
            else:
                at_home[x] = True
        else:  # HOME
            j, v = x
            if v == version[j]:
                returning[j] = False
                at[j] = loc[j] = homes[j]
                at_home[j] = True
    for j in range(k):
        if not free[j]:
            busy += now - busy_from[j]
    return RefResult(first, sent, resolved, n_events, busy)


def reference_inputs(world_net: RoadNetwork, incidents) -> tuple[list[float], list[int], list]:
    """Alarm times, node indices and work minutes of the benchmark's incidents."""
    idx = world_net.index
    return (
        [float(i.t) for i in incidents],
        [idx[i.node] for i in incidents],
        [float(i.work_min) for i in incidents],
    )
