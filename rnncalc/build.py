"""Build the derivation model from the numeric trace and the cell's templates."""

from __future__ import annotations

from typing import Callable

from .cell import Cell, Rule, build_cell
from .errors import InputError
from . import backward_steps
from .engine import INITIAL_STATE, Backward, Trace, backward, run
from .forms import Add, Form, Mul, Name, Ref, fill
from .model import Derivation, ForwardColumns, Section, Step
from .names import LOSS, derivative, gradient, indexed, parameter
from .problem import Problem, Settings

ProgressCallback = Callable[[int, int, str], None]
METHODS = ("forward", "backward", "both")
MAX_STEPS = 2_000_000
MAX_STEPS_SHOWN = 100_000


class Quantities:
    """The named quantities of one trace, as references carrying their values."""

    def __init__(self, trace: Trace, cell: Cell) -> None:
        """Index a trace."""
        self.trace = trace
        self.cell = cell
        self.params = {p: Ref(parameter(p), v) for p, v in trace.params.items()}
        self.params[INITIAL_STATE] = self.h(0)
        self._locals: dict[tuple[str, int], Ref] = {}
        self._bindings: dict[int, dict[str, Form]] = {}

    def x(self, i: int) -> Ref:
        """Input x_i (used at step i + 1)."""
        return Ref(indexed("x", i), self.trace.x[i])

    def g(self, t: int) -> Ref:
        """Target g_t."""
        return Ref(indexed("g", t), self.trace.g[t - 1])

    def h(self, t: int) -> Ref:
        """State h_t (t = 0 is the initial state)."""
        return Ref(indexed("h", t), self.trace.h[t])

    def o(self, t: int) -> Ref:
        """Pre-activation o_t."""
        return Ref(indexed("o", t), self.trace.o[t - 1])

    def y(self, t: int) -> Ref:
        """Output y_t."""
        return Ref(indexed("y", t), self.trace.y[t - 1])

    def local(self, kind: str, t: int) -> Ref:
        """A local derivative at step t: dL_dy, dy_dh, dh_do or do_dhprev (each made once)."""
        ref = self._locals.get((kind, t))
        if ref is None:
            ref = self._locals[kind, t] = self._make_local(kind, t)
        return ref

    def _make_local(self, kind: str, t: int) -> Ref:
        """A new reference to a local derivative."""
        top, bottom = {"dL_dy": ("L", "y"), "dy_dh": ("y", "h"), "dh_do": ("h", "o"), "do_dhprev": ("o", "h")}[kind]
        below = t - 1 if kind == "do_dhprev" else t
        return Ref(derivative(indexed(top, t), indexed(bottom, below)), getattr(self.trace, kind)[t - 1])

    def do_d(self, p: str, t: int) -> Ref:
        """Total derivative do_t/dθ carried through time."""
        return Ref(derivative(indexed("o", t), parameter(p)), self.trace.do_d[p][t - 1])

    def dy_d(self, p: str, t: int) -> Ref:
        """Local derivative dy_t/dθ."""
        return Ref(derivative(indexed("y", t), parameter(p)), self.trace.dy_d[p][t - 1])

    def term(self, p: str, t: int) -> Ref:
        """Step t's share of the gradient, dL_t/dθ."""
        return Ref(derivative(indexed("L", t), parameter(p)), self.trace.terms[p][t - 1])

    def binding(self, t: int) -> dict[str, Form]:
        """What the cell's symbols mean at step t (made once per step)."""
        if t not in self._bindings:
            step = {"x": self.x(t - 1), "h_prev": self.h(t - 1), "o": self.o(t), "h": self.h(t), "y": self.y(t), "g": self.g(t)}
            self._bindings[t] = step | self.params
        return self._bindings[t]

    def at(self, rule: Rule, t: int) -> Form:
        """A cell rule written for step t."""
        return fill(rule.template, self.binding(t))


def derive(
    problem: Problem | None = None,
    settings: Settings | None = None,
    scope: str = "grads",
    steps: bool = True,
    progress: ProgressCallback | None = None,
    method: str = "forward",
) -> Derivation:
    """Work the problem: numbers always, the step-by-step sections when ``steps``.

    ``progress(done, total, stage)`` is called now and then during long work.
    """
    problem = problem or Problem()
    settings = settings or Settings()
    _check_size(problem.n, steps)
    cell = build_cell(problem)
    sweep_progress = (lambda done: progress(done, problem.n, "forward pass and derivatives")) if progress else None
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    trace = run(problem, cell, settings, sweep_progress, lean=not steps and method == "forward")
    back = backward(trace, settings) if method != "forward" else None
    q = Quantities(trace, cell)
    sections = _sections(q, problem, scope, method, back) if steps else ()
    gradients = back.gradients if back is not None and method == "backward" else trace.gradients
    derivation = Derivation(
        problem=problem,
        settings=settings,
        scope=scope,
        columns=ForwardColumns(trace.x, trace.o, trace.h[1:], trace.y),
        loss=trace.loss,
        gradients=dict(gradients),
        gradient_names={p: gradient(p) for p in trace.gradients},
        sections=sections,
        method=method,
        backward_gradients=dict(back.gradients) if back is not None and method == "both" else None,
    )
    if settings.exact and steps:
        from .exact import with_exact

        derivation = with_exact(derivation, progress)
    return derivation


def _check_size(n: int, steps: bool) -> None:
    """Refuse sequences whose derivation would not fit in memory."""
    limit, per_step = (MAX_STEPS_SHOWN, "25 kB") if steps else (MAX_STEPS, "2.5 kB")
    if n > limit:
        hint = " (drop --show-steps for just the numbers)" if steps else ""
        raise InputError(f"n = {n:,} steps is too long: rnncalc keeps every step in memory (about {per_step} each) and stops at {limit:,}{hint}")


def _sections(q: Quantities, problem: Problem, scope: str, method: str, back: Backward | None) -> tuple[Section, ...]:
    """The document's sections, in its order; the backward derivation after (or instead of) the forward one."""
    sections = [_loss_section(q, problem), _known_section(q), _forward_section(q)]
    if scope != "grads":
        return tuple(sections)
    sections.append(_local_section(q))
    if method != "backward":
        sections.append(_totals_section(q))
        sections += [_gradient_section(q, p) for p in q.trace.terms]
    if back is not None:
        suffix = " (backward)" if method == "both" else ""
        sections.append(backward_steps.deltas_section(q, back))
        sections += [backward_steps.gradient_section(q, back, p, suffix) for p in back.gradients]
    if back is not None and method == "both":
        sections.append(backward_steps.agreement_section(q.trace.gradients, back.gradients))
    return tuple(sections)


def _loss_sum(q: Quantities) -> Form:
    """L = Σ_t loss term at t, written out for this n."""
    return Add(tuple(q.at(q.cell.loss, t) for t in range(1, q.trace.n + 1)))


def _loss_section(q: Quantities, problem: Problem) -> Section:
    """The loss function, written out for this n."""
    if problem.loss == "mse":
        lead = Name("L = 1/n Σ_{t=1}^{n} (y_t - g_t)^2", r"L = \frac{1}{n} \sum_{t=1}^{n} (y_{t} - g_{t})^{2}", "mse")
    else:
        lead = Name("L = Σ_{t=1}^{n} (y_t - g_t)^2", r"L = \sum_{t=1}^{n} (y_{t} - g_{t})^{2}", "sse")
    step = Step(Ref(LOSS, q.trace.loss), _loss_sum(q), definition=True)
    return Section("loss", problem.loss.upper(), (step,), lead)


def _known_section(q: Quantities) -> Section:
    """Inputs, targets, initial state and parameters."""
    n = q.trace.n
    steps = [Step(q.x(i), t=i + 1) for i in range(n)] + [Step(q.g(t), t=t) for t in range(1, n + 1)]
    steps += [Step(q.h(0))] + [Step(q.params[p]) for p in q.cell.params]
    return Section("known", "Known parameters", tuple(steps))


def _forward_section(q: Quantities) -> Section:
    """o_t, h_t, y_t for each step, then the loss value."""
    steps = []
    for t in range(1, q.trace.n + 1):
        steps += [Step(q.o(t), q.at(q.cell.o, t), t=t), Step(q.h(t), q.at(q.cell.h, t), t=t), Step(q.y(t), q.at(q.cell.y, t), t=t)]
    steps.append(Step(Ref(LOSS, q.trace.loss), _loss_sum(q)))
    return Section("forward", "Forward pass", tuple(steps))


def _local_section(q: Quantities) -> Section:
    """dL_t/dy_t, dy_t/dh_t, dh_t/do_t and do_t/dh_{t-1}, each from SymPy's derivative of the cell."""
    n = q.trace.n
    rules = {"dL_dy": q.cell.dL_dy, "dy_dh": q.cell.dy_dh, "dh_do": q.cell.dh_do, "do_dhprev": q.cell.do_dhprev}
    steps = [
        Step(q.local(kind, t), q.at(rule, t), t=t)
        for kind, rule in rules.items()
        for t in range(2 if kind == "do_dhprev" else 1, n + 1)
    ]
    return Section("local", "Local derivatives", tuple(steps))


def _carried(q: Quantities, p: str, t: int) -> Form:
    """do_t/dθ = ∂o_t/∂θ + do_t/dh_{t-1} · dh_{t-1}/do_{t-1} · do_{t-1}/dθ."""
    explicit = q.at(q.cell.do_dhprev if p == INITIAL_STATE else q.cell.do_dparam[p], t)
    if t == 1:
        return explicit
    through = Mul((q.local("do_dhprev", t), q.local("dh_do", t - 1), q.do_d(p, t - 1)))
    return through if p == INITIAL_STATE else Add((explicit, through))


def _totals_section(q: Quantities) -> Section:
    """Total derivatives of o_t (carried forward in time) and of y_t, for each parameter."""
    n = q.trace.n
    steps = []
    for p in q.trace.terms:
        if p in q.trace.do_d:
            steps += [Step(q.do_d(p, t), _carried(q, p, t), t=t) for t in range(1, n + 1)]
        if p in q.trace.dy_d:
            steps += [Step(q.dy_d(p, t), q.at(q.cell.dy_dparam[p], t), t=t) for t in range(1, n + 1)]
    return Section("totals", "Derivatives through time", tuple(steps))


def _chain(q: Quantities, p: str, t: int) -> Form:
    """dL_t/dθ as a chain-rule product (or a sum of two, if θ reaches y_t both ways)."""
    products: list[Form] = []
    if p in q.trace.dy_d:
        products.append(Mul((q.local("dL_dy", t), q.dy_d(p, t))))
    if p in q.trace.do_d:
        products.append(Mul((q.local("dL_dy", t), q.local("dy_dh", t), q.local("dh_do", t), q.do_d(p, t))))
    return products[0] if len(products) == 1 else Add(tuple(products))


def _gradient_section(q: Quantities, p: str) -> Section:
    """dθ: each step's chain product with its value, then their sum."""
    n = q.trace.n
    steps = [Step(q.term(p, t), _chain(q, p, t), t=t) for t in range(1, n + 1)]
    total = Ref(gradient(p), q.trace.gradients[p])
    rule = Add(tuple(q.term(p, t) for t in range(1, n + 1)))
    working = Add(tuple(_chain(q, p, t) for t in range(1, n + 1)))
    steps.append(Step(total, rule, working))
    return Section(f"grad:{p}", f"d{parameter(p).text}", tuple(steps))
