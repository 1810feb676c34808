"""Truncated BPTT written out: each loss term's adjoints, then every gradient as the sum of the shares each
loss term keeps, every dropped share beside it with its size, and the full gradient for comparison."""

from __future__ import annotations

import copy
import dataclasses
import math
from typing import Any

from ..compute.truncation import Settle, Truncation, loss_term_backward, relative_difference
from ..tensor import shown
from .formula import Add, Form, Name, Neg, Ref
from .model import Section, Step
from .names import derivative, indexed
from .quantities import Quantities
from .sections import Backward
from .writing import addition, gradient_name, writing_of

SHOWN_MAX_N = 12
"""Each loss term's adjoints are written out up to this n (n (n + 1) / 2 lines of each); beyond, the
gradients alone, truncated and full."""


def truncation_sections(
    q: Quantities, truncation: Truncation, truncated: dict[str, Any], full: dict[str, Any], settle: Settle
) -> list[Section]:
    """The truncated derivation: each loss term's adjoints, each gradient's kept and dropped shares
    (``truncated`` and ``full``: the gradients as numbers or arrays)."""
    steps = q.trace.target_steps
    if q.trace.n > SHOWN_MAX_N:
        return [_summary(q, truncation, truncated, full)]
    terms = {t: _loss_term(q, t, settle) for t in steps}
    adjoint_lines = [
        Step(term.q.adjoint(k, s), term.rule(k, s), t=s)
        for t, term in terms.items()
        for s in range(t, 0, -1)
        for k in term.named
    ]
    lead = Section(
        "truncation",
        f"Truncated BPTT ({truncation.label}): each loss term's adjoints",
        tuple(adjoint_lines),
        note=f"Truncated BPTT, {truncation.label}: {truncation.describe()}.",
    )
    gradients = [
        _gradient(q, truncation, terms, theta, (truncated[theta], full[theta])) for theta in q.plan.graph.wrt
    ]
    return [lead, *gradients]


def _loss_term(q: Quantities, t: int, settle: Settle) -> Backward:
    """The backward lines of the loss term L_t alone: its adjoints dL_t/dk_s for s = t down to 1."""
    trace = q.trace
    targets = tuple(step == t and trace.targets[step - 1] for step in range(1, trace.n + 1))
    own = copy.copy(q)
    own.trace = dataclasses.replace(trace, backward=loss_term_backward(trace, t, settle), targets=targets)
    own.loss_name, own.delta_of = indexed("L", t), None
    lines = Backward(own)
    lines.n = t  # nothing after step t reaches L_t
    return lines


def _gradient(
    q: Quantities, truncation: Truncation, terms: dict[int, Backward], theta: str, values: tuple[Any, Any]
) -> Section:
    """dL/dθ truncated: each loss term's kept shares (its dropped ones marked), their sum, the full one."""
    lines: list[Step] = []
    kept_refs: list[Form] = []
    dropped_refs: list[Ref] = []
    for t, term in terms.items():
        back = range(t, 0, -1)  # its own step first, then back in time
        kept = _shares(term, theta, [s for s in back if truncation.kept(t, s)])
        dropped = _shares(term, theta, [s for s in back if not truncation.kept(t, s)])
        name = derivative(indexed("L", t), q.theta(theta))
        if kept:
            ref = Ref(_labelled(name, truncation), shown(_sum(v for _, v in kept)))
            lines.append(Step(ref, addition([f for f, _ in kept]), t=t))
            kept_refs.append(ref)
        if dropped:
            ref = Ref(_labelled(name, None), _sum(v for _, v in dropped))
            lines.append(
                Step(dataclasses.replace(ref, value=shown(ref.value)), addition([f for f, _ in dropped]), t=t)
            )
            dropped_refs.append(ref)
    name = gradient_name(q, theta)
    total = Ref(_labelled(name, truncation), shown(values[0]))
    lines.append(Step(total, Add(tuple(kept_refs)) if kept_refs else None))
    if not dropped_refs:
        note = f"No share of {name.text} is dropped: the truncated gradient is the full one."
    else:
        left_out = Ref(_labelled(name, None), shown(_sum(ref.value for ref in dropped_refs)))
        shown_refs = tuple(dataclasses.replace(ref, value=shown(ref.value)) for ref in dropped_refs)
        lines.append(Step(left_out, Add(shown_refs)))
        lines.append(Step(Ref(_full(name), shown(values[1])), Add((total, left_out))))
        note = f"Truncation leaves out {_percent(values)} of the full gradient (|dropped| / |full|)."
    title = f"d{q.theta(theta).text}, truncated ({truncation.label})"
    return Section(f"truncated:{theta}", title, tuple(lines), note=note)


def _full(name: Name) -> Name:
    """dL/dθ (full)."""
    return Name(f"{name.text} (full)", rf"{name.latex}\Big|_{{\mathrm{{full}}}}", f"{name.key}:full")


def _comparison(q: Quantities, theta: str, total: Ref, values: tuple[Any, Any]) -> list[Step]:
    """The full gradient (nothing cut), and what truncation leaves out of it (``values``: truncated, full)."""
    name = gradient_name(q, theta)
    full = Ref(_full(name), shown(values[1]))
    gap = values[1] - values[0]
    return [Step(full), Step(Ref(_labelled(name, None), shown(gap)), Add((full, Neg(total))))]


def _shares(term: Backward, theta: str, at: list[int]) -> list[tuple[Form, Any]]:
    """Step s's share of dL_t/dθ for each s (as a form and its value), where θ adds something."""
    found = []
    terms = term.q.trace.backward.terms[theta]  # type: ignore[union-attr]
    for s in at:
        form = writing_of(term.q).share(term, theta, s)
        if form is not None:
            found.append((form, terms[s - 1]))
    return found


def _labelled(name: Name, truncation: Truncation | None) -> Name:
    """dL_t/dθ (K = 2), or dL_t/dθ (dropped) when ``truncation`` is None."""
    if truncation is None:
        return Name(
            f"{name.text} (dropped)", rf"{name.latex}\Big|_{{\mathrm{{dropped}}}}", f"{name.key}:dropped"
        )
    k = truncation.steps
    return Name(f"{name.text} ({truncation.label})", rf"{name.latex}\Big|_{{K={k}}}", f"{name.key}:K={k}")


def _summary(
    q: Quantities, truncation: Truncation, truncated: dict[str, Any], full: dict[str, Any]
) -> Section:
    """Beyond SHOWN_MAX_N: each gradient truncated and full, and their difference."""
    lines: list[Step] = []
    for theta in q.plan.graph.wrt:
        total = Ref(_labelled(gradient_name(q, theta), truncation), shown(truncated[theta]))
        lines += [Step(total), *_comparison(q, theta, total, (truncated[theta], full[theta]))]
    note = (
        f"Truncated BPTT, {truncation.label}: {truncation.describe()}. Each loss term's lines are written "
        f"out up to n = {SHOWN_MAX_N}."
    )
    return Section("truncation", f"Truncated BPTT ({truncation.label})", tuple(lines), note=note)


def _percent(values: tuple[Any, Any]) -> str:
    """|full − truncated| / |full| as a percentage."""
    share = relative_difference(*values)
    return f"{100 * share:.3g} %" if math.isfinite(share) else "all"


def _sum(values: Any) -> Any:
    """Left to right."""
    total: Any = None
    for value in values:
        total = value if total is None else total + value
    return 0.0 if total is None else total
