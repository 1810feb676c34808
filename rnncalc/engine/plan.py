"""What a derivation names and how each named derivative is formed: one plan for every cell.

BPTT by hand names few quantities. In the worked example only o_t carries a total derivative through
time (do_t/dθ); h_t = σ(o_t) and y_t = a·h_t + c are single links, multiplied out where they are
crossed (dL_t/dy_t · dy_t/dh_t · dh_t/do_t · do_t/dθ). The plan finds that structure in any cell:

* forward mode: for each θ, a quantity *carries* a total dk_t/dθ when θ enters its formula directly
  (or through the initial state at step 1), or when two or more paths from θ meet in it; any other
  quantity reached by θ has one incoming path, and is crossed as a product of partials;
* reverse mode: a quantity carries an adjoint dL/dk_t (δ_t) when a parameter or initial state enters
  its formula, or when its adjoint would otherwise need its own adjoint of a later step; the others are
  written out where they are used.

The derivation's sections show these rules and ``totals`` computes them in the same order, so what is
shown is exactly what is computed (hand rounding included). Nothing here depends on the values' shapes.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ..cell.states import PREV, initial, state_of

Link = tuple[str, str, int]
"""(k, u, dt): the partial ∂k/∂u taken at step t + dt; u is a quantity of that step or a state's
NAME_prev (the previous step's value)."""


@dataclass(frozen=True)
class Chain:
    """One term of a total: partials multiplied in order, then the total of ``end`` (name, dt).

    A chain that reaches back before step 1 ends in the initial state's seed instead: 1 when θ is that
    state's initial value, else 0 (``end`` is then None and ``seed`` names the state)."""

    links: tuple[Link, ...]
    end: tuple[str, int] | None
    seed: str | None = None


@dataclass(frozen=True)
class Direct:
    """A term where θ enters the formula itself: ∂k_t/∂θ, shown as its rule (x_{t-1} for W_i)."""

    use: str


Term = Chain | Direct


@dataclass(frozen=True)
class Graph:
    """What the plan needs of a cell: its equations' uses, in order, and which names are what."""

    names: tuple[str, ...]
    uses: dict[str, tuple[str, ...]]
    states: tuple[str, ...]
    params: tuple[str, ...]
    inputs: tuple[str, ...]

    @property
    def wrt(self) -> tuple[str, ...]:
        """What gradients are taken with respect to: the parameters, then each state's initial value."""
        return (*self.params, *(initial(s) for s in self.states))

    def edges(self, k: str) -> tuple[str, ...]:
        """The uses of k that have a partial: names, previous values and parameters (not inputs)."""
        return self._edges[k]

    def users(self, u: str) -> tuple[str, ...]:
        """The equations that read u, in order."""
        found = self._users.get(u)
        if found is None:
            found = self._users[u] = tuple(k for k in self.names if u in self.uses[k])
        return found

    @functools.cached_property
    def _edges(self) -> dict[str, tuple[str, ...]]:
        """Every name's edges, found once (derivations ask for them at every step)."""
        return {k: tuple(u for u in self.uses[k] if u not in self.inputs) for k in self.uses}

    @functools.cached_property
    def _users(self) -> dict[str, tuple[str, ...]]:
        """The readers found so far, by name."""
        return {}


class Plan:
    """The named derivatives of one cell and their rules (see the module's description)."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    # forward mode ---------------------------------------------------------------------------------

    def reached(self, theta: str, t: int) -> frozenset[str]:
        """The names whose value at step t depends on θ (t = 0: the state θ is the initial value of)."""
        return self._reached(theta, min(t, self.steady))

    @functools.cache  # noqa: B019 (one plan per cell, kept while the cell is)
    def _reached(self, theta: str, t: int) -> frozenset[str]:
        """See ``reached``."""
        g = self.graph
        if t <= 0:
            return frozenset(s for s in g.states if initial(s) == theta)
        before = self.reached(theta, t - 1)
        found: set[str] = set()
        for k in g.names:
            for u in g.uses[k]:
                state = state_of(u)
                if u == theta or u in found or (state is not None and state in before):
                    found.add(k)
                    break
        return frozenset(found)

    def _incoming(self, theta: str, k: str, t: int) -> list[str]:
        """The uses of k through which θ reaches k_t (θ itself first if k reads it)."""
        now, before = self.reached(theta, t), self.reached(theta, t - 1)
        found = []
        for u in self.graph.uses[k]:
            state = state_of(u)
            if u == theta or u in now or (state is not None and state in before):
                found.append(u)
        return found

    def _direct(self, theta: str, k: str, t: int) -> bool:
        """θ enters k_t's formula itself: a parameter it reads, or at step 1 the initial state it reads."""
        uses = self.graph.uses[k]
        return theta in uses or (t == 1 and any(initial(state_of(u) or "") == theta for u in uses))

    @functools.cache  # noqa: B019
    def carriers(self, theta: str, n: int) -> frozenset[str]:
        """The names that carry a total dk/dθ at every step they are reached (steps 1..n)."""
        found: set[str] = set()
        settled = len(self.graph.names) + 2  # reach settles within as many steps as there are names
        for t in range(1, min(n, settled) + 1):
            for k in self.reached(theta, t):
                if self._direct(theta, k, t) or len(self._incoming(theta, k, t)) > 1:
                    found.add(k)
        return frozenset(found)

    @functools.cached_property
    def steady(self) -> int:
        """A step from which every rule is the same as at the step before (reach has settled, and no
        chain reaches back before step 1)."""
        return 2 * len(self.graph.names) + 3

    def total_rule(self, theta: str, k: str, t: int, n: int) -> tuple[Term, ...]:
        """dk_t/dθ as terms: θ's own entry, then one chain per other path."""
        return self._total_rule(theta, k, min(t, self.steady), n)

    @functools.cache  # noqa: B019
    def _total_rule(self, theta: str, k: str, t: int, n: int) -> tuple[Term, ...]:
        """See ``total_rule`` (made once per rule)."""
        terms: list[Term] = []
        for u in self._incoming(theta, k, t):
            terms.append(Direct(u) if u == theta else self._chain(theta, (k, u, 0), t, n))
        return tuple(terms)

    def _chain(self, theta: str, link: Link, t: int, n: int) -> Chain:
        """Follow single links back from ``link`` until a carrier (or the initial state) is reached."""
        links = [link]
        carriers = self.carriers(theta, n)
        _, u, dt = link
        while True:
            state = state_of(u)
            name, at = (state, dt - 1) if state is not None else (u, dt)
            if t + at <= 0:
                return Chain(tuple(links), None, seed=name)
            if name in carriers:
                return Chain(tuple(links), (name, at))
            u = self._single(theta, name, t + at)
            links.append((name, u, at))
            dt = at

    def _single(self, theta: str, k: str, t: int) -> str:
        """The one path into a reached quantity that carries no total (a plan that breaks this is a bug)."""
        incoming = self._incoming(theta, k, t)
        if len(incoming) != 1:
            raise RuntimeError(f"the plan crossed {k}_{t} for {theta}, which {len(incoming)} paths reach")
        return incoming[0]

    def gradient_chain(self, theta: str, t: int, n: int) -> Chain | None:
        """dL_t/dθ = dL_t/dy_t · (the chain from y_t back to a carrier), or None when θ misses y_t."""
        return self._gradient_chain(theta, min(t, self.steady), n)

    @functools.cache  # noqa: B019
    def _gradient_chain(self, theta: str, t: int, n: int) -> Chain | None:
        """See ``gradient_chain`` (made once per rule)."""
        if "y" not in self.reached(theta, t):
            return None
        if "y" in self.carriers(theta, n):
            return Chain((), ("y", 0))
        return self._chain(theta, ("y", self._single(theta, "y", t), 0), t, n)

    # reverse mode ---------------------------------------------------------------------------------

    @functools.cached_property
    def adjoint_carriers(self) -> tuple[str, ...]:
        """The names whose adjoint dL/dk_t is named (in equation order): y, every name a parameter or a
        state enters, every name whose adjoint would recur, and every name reading two or more
        quantities (its adjoint would be written out twice)."""
        g = self.graph
        found = {"y"} | {k for k in g.names if any(u in g.params or state_of(u) for u in g.uses[k])}
        found |= {k for k in g.names if len([u for u in g.edges(k) if u not in g.params]) > 1}
        while True:
            added = {k for k in g.names if k not in found and self._recurs(k, found)}
            if not added:
                return tuple(k for k in g.names if k in found)
            found |= added

    def _recurs(self, k: str, carriers: set[str]) -> bool:
        """Written out, k's adjoint would need k's own adjoint at a later step."""
        seen: set[tuple[str, int]] = set()
        pending = list(self._readers(k))
        while pending:
            j, dt = pending.pop()
            if j == k:
                return True
            if j in carriers or (j, dt) in seen or dt > len(self.graph.names) + 1:
                continue
            seen.add((j, dt))
            pending += [(i, dt + d) for i, d in self._readers(j)]
        return False

    def _readers(self, k: str) -> list[tuple[str, int]]:
        """(j, dt): the equations reading k at the same step (0) or k_prev at the next step (1)."""
        g = self.graph
        return [(j, 0) for j in g.users(k)] + [(j, 1) for j in g.users(k + PREV)]

    def adjoint_parts(self, k: str) -> tuple[tuple[str, str, int], ...]:
        """dL/dk_t's parts (besides dL_t/dy_t for y): (j, u, dt) for dL/dj_{t+dt} · ∂j_{t+dt}/∂u."""
        parts = [(j, k, 0) for j in self.graph.users(k)]
        parts += [(j, k + PREV, 1) for j in self.graph.users(k + PREV)]
        return tuple(parts)

    def gradient_uses(self, theta: str, t: int) -> list[tuple[str, str]]:
        """(j, u): the equations through which θ enters at step t, and as what (θ itself, or at step 1
        the previous value of the state θ starts)."""
        g = self.graph
        if theta in g.params:
            return [(j, theta) for j in g.users(theta)]
        if t != 1:
            return []
        return [(j, u) for j in g.names for u in g.uses[j] if initial(state_of(u) or "") == theta]

    def trivial_output(self) -> bool:
        """dL/dy_t is dL_t/dy_t itself (nothing else reads y): it gets no line of its own."""
        return not self.adjoint_parts("y")


def graph_of(spec: object) -> Graph:
    """The plan's view of a parsed cell."""
    equations = spec.equations  # type: ignore[attr-defined]
    return Graph(
        names=tuple(e.name for e in equations),
        uses={e.name: tuple(e.uses) for e in equations},
        states=tuple(spec.states),  # type: ignore[attr-defined]
        params=tuple(spec.params),  # type: ignore[attr-defined]
        inputs=tuple(spec.inputs),  # type: ignore[attr-defined]
    )


@functools.lru_cache(maxsize=64)
def plan_of(spec: object) -> Plan:
    """The plan of a parsed cell (made once per cell)."""
    return Plan(graph_of(spec))
