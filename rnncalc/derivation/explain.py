"""--explain: a note in plain words on every line of a derivation (why it exists, which path it takes)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..cell.functions import BY_SHOWN_NAME
from .formula import Add, Call, Form, Neg, Rebuild, Ref

if TYPE_CHECKING:  # only named in annotations: model.py calls this module
    from .model import Derivation, Section, Step

DERIVATIVE = re.compile(r"^[d∂](?P<top>[^/]+)/[d∂](?P<bottom>.+)$")
INDEXED = re.compile(r"^(?P<base>.+?)_(?P<t>\d+)$")
WAYS = {1: "one way", 2: "two ways", 3: "three ways"}

KNOWN_NOTE = (
    "Given numbers: the inputs, the targets, the initial state and the parameters. "
    "Every number below is computed from these."
)


def explained(derivation: Derivation) -> Derivation:
    """The derivation with a note on every step (and on the given values)."""
    sections = tuple(_explained_section(section, derivation) for section in derivation.sections)
    return dataclasses.replace(derivation, sections=sections)


def _explained_section(section: Section, derivation: Derivation) -> Section:
    """A section whose steps each carry their note."""
    if section.key == "known":
        return dataclasses.replace(section, note=section.note or KNOWN_NOTE)
    kind = section.key.split(":")[0]
    words = NOTES.get(kind, _as_the_rule_says)
    steps = tuple(
        dataclasses.replace(step, explanation=words(step, derivation)) if step.explanation is None else step
        for step in section.steps
    )
    return dataclasses.replace(section, steps=steps)


def _names(form: Form | None) -> list[str]:
    """The names of the quantities a form reads, in order, each once."""
    found: list[str] = []

    def collect(leaf: Form) -> Form:
        if isinstance(leaf, Ref) and leaf.name.text not in found:
            found.append(leaf.name.text)
        return leaf

    if form is not None:
        Rebuild(collect)(form)
    return found


def _terms(form: Form | None) -> list[Form]:
    """The terms of a sum (a single term otherwise)."""
    if form is None:
        return []
    return list(form.terms) if isinstance(form, Add) else [form]


def _step_of(name: str) -> tuple[str, int | None]:
    """("o", 2) for o_2; (name, None) when it carries no step."""
    match = INDEXED.match(name)
    return (match["base"], int(match["t"])) if match else (name, None)


def _derivative(name: str) -> tuple[str, str] | None:
    """(numerator, denominator) of a name written d a/d b or ∂a/∂b."""
    match = DERIVATIVE.match(name)
    return (match["top"], match["bottom"]) if match else None


def _definitions(derivation: Derivation) -> dict[str, Form | None]:
    """The cell's rules as the derivation states them (o_t: W_i · x_{t-1} + ...), by name."""
    model = next((s for s in derivation.sections if s.key == "model"), None)
    return {step.target.name.text: step.rule for step in model.steps} if model else {}


def _listed(items: list[str]) -> str:
    """a, b and c (a; b; and c when the items hold commas themselves)."""
    if len(items) == 1:
        return items[0]
    separator = "; " if any("," in item for item in items) else ", "
    return separator.join(items[:-1]) + (";" if separator == "; " else "") + " and " + items[-1]


def _is_initial(name: str) -> bool:
    """True for an initial state (h_0, c_0)."""
    return _step_of(name)[1] == 0


def _definition(step: Step, derivation: Derivation) -> str:
    """The cell's rule for one quantity, or the loss."""
    name = step.target.name.text
    if name == "L":
        return (
            "What training minimises: one term L_t per step with a target, each reading only that step's "
            "output y_t, so dL_t/dy_t is a local derivative."
        )
    reads = _names(step.rule)
    earlier = [n for n in reads if n.endswith("_{t-1}") and not n.startswith("x")]
    inputs = _listed(reads) if reads else "nothing"
    note = f"The cell's rule for {name}, the same at every step t; it reads {inputs}."
    if earlier:
        note += f" {_listed(earlier)} is the previous step's value: this is what makes the network recurrent."
    return note


def _combined(problem: Any) -> str:
    """How the loss terms make the loss, read off the loss's weight: averaged, summed or scaled."""
    from fractions import Fraction

    weight, targets = Fraction(problem.loss_weight), sum(problem.targets)
    if weight == 1:
        return "summed"
    if weight == Fraction(1, targets) and targets > 1:
        return f"averaged over the {targets} steps with a target"
    return f"summed and multiplied by {weight}"


def _forward(step: Step, derivation: Derivation) -> str:
    """A forward step: the rule at step t with the numbers known so far."""
    name = step.target.name.text
    if name == "L":
        combined = _combined(derivation.problem)
        return f"The loss: every output with a target put into its loss term, then {combined}."
    base, t = _step_of(name)
    earlier = [n for n in _names(step.rule) if _step_of(n)[1] == (t or 0) - 1 and not n.startswith("x")]
    note = f"Step {t}: the rule for {base}_t with the numbers known so far"
    if earlier and t == 1:
        return note + f"; {_listed(earlier)} is the initial state, given."
    if earlier:
        return note + f"; {_listed(earlier)} comes from step {(t or 1) - 1}."
    return note + "."


def _local(step: Step, derivation: Derivation) -> str:
    """A local derivative: one rule differentiated by one thing it reads, everything else held fixed."""
    name = step.target.name.text
    parts = _derivative(name)
    if parts is None:
        return "A local derivative, read off one rule with everything else held fixed."
    top, bottom = parts
    if top.startswith("L_") and derivation.problem.loss == "softmax-ce":
        return (
            f"How much the loss term {top} changes per unit change of each entry of {bottom}: "
            "softmax(y) minus the one-hot target, divided by n."
        )
    if top.startswith("L_"):
        return (
            f"How much the loss term {top} changes per unit change of {bottom} "
            "(the loss term differentiated by SymPy)."
        )
    (top_base, t), (bottom_base, s) = _step_of(top), _step_of(bottom)
    note = f"Local: how {top} changes when only {bottom} moves, read off the rule for {top_base}_t."
    rule = _definitions(derivation).get(f"{top_base}_t")
    if isinstance(rule, Call) and isinstance(rule.arg, Ref) and rule.arg.name.text == f"{bottom_base}_t":
        text = BY_SHOWN_NAME[rule.function].text if rule.function in BY_SHOWN_NAME else "{}"
        shown = text.replace("({})", "") if "({})" in text else rule.function
        note = f"Local: the slope of {shown} at {bottom}, how much {top} moves per unit move of {bottom}."
    if t is not None and s is not None and s == t - 1:
        origin = f"step {s}" if s > 0 else "the initial state"
        note += f" This link from {origin} to step {t} is what every path through time crosses."
    return note


def _total(step: Step, derivation: Derivation) -> str:
    """A total derivative through time: how θ reaches a quantity, path by path."""
    parts = _derivative(step.target.name.text)
    if parts is None:
        return _as_the_rule_says(step, derivation)
    top, theta = parts
    _, t = _step_of(top)
    paths = [_path(term, theta, t) for term in _terms(step.rule)] or ["directly"]
    if len(paths) == 1 and paths[0].startswith("directly"):
        first = " (at step 1 there is no earlier step to come through)" if t == 1 else ""
        return f"{theta} reaches {top} only {paths[0]}{first}."
    ways = "twice" if len(paths) == 2 else WAYS.get(len(paths), f"{len(paths)} ways")
    return f"{theta} reaches {top} {ways}: {_listed(paths)}."


def _path(term: Form, theta: str, t: int | None) -> str:
    """How one term of a total derivative reaches its quantity: directly, or through which quantity."""
    if isinstance(term, Neg):
        term = term.arg
    names = _names(term)
    derivatives = [d for d in map(_derivative, names) if d is not None]
    if not derivatives:
        if len(names) != 1:
            return "directly"
        return (
            f"directly, scaled by {names[0]}"
            if _is_initial(theta)
            else f"directly, as the weight of {names[0]}"
        )
    via = derivatives[0][1]
    _, s = _step_of(via)
    if t is not None and s is not None and s < t:
        return f"through {via}, which {theta} already shaped at step {s}" if s > 0 else f"through {via}"
    return f"through {via}"


def _gradient(step: Step, derivation: Derivation) -> str:
    """dL/dθ: the shares of the steps with a target, summed."""
    parts = _derivative(step.target.name.text)
    theta = parts[1] if parts else "θ"
    if _is_initial(theta):
        return (
            f"How the loss depends on the initial state {theta}: it is read only at step 1, "
            "and reaches later steps through time."
        )
    return (
        f"{theta} is used at every step, so every loss term L_t depends on it: dL/d{theta} adds each "
        f"step's share dL_t/d{theta}, each a chain of local derivatives."
    )


def _delta(step: Step, derivation: Derivation) -> str:
    """A delta of the backward pass."""
    name = step.target.name.text
    n = derivation.problem.n
    if name.startswith("δ") or name.startswith("delta"):
        _, t = _step_of(name.replace("δ", "delta"))
        targets = getattr(derivation.problem, "targets", ())
        direct = not targets or targets[(t or 1) - 1]
        if t == n and not direct:
            return f"δ_{n} = dL/do_{n} = 0: step {n} has no target and no later step reads it."
        if t == n:
            return f"δ_{n} = dL/do_{n}: at the last step o_{n} reaches the loss only through y_{n}."
        here = (
            f"the loss at step {t} directly, plus every later step"
            if direct
            else (f"no target at step {t}, so only the later steps")
        )
        return (
            f"δ_{t} = dL/do_{t}: {here} through "
            f"h_{t} → o_{(t or 0) + 1} (δ_{(t or 0) + 1}): the backward pass through time."
        )
    parts = _derivative(name)
    quantity = parts[1] if parts else name
    return (
        f"The derivative of the whole loss by {quantity}: summed over everything that reads {quantity}, "
        "in this step and the next, each already known because the pass runs backward."
    )


def _backward_gradient(step: Step, derivation: Derivation) -> str:
    """A backward share, or the backward total."""
    name = step.target.name.text
    parts = _derivative(name)
    if "·" in name or "*" in name:
        return "One step's share of the gradient, taken backward: the delta times the local derivative."
    if parts and parts[0].startswith("L_"):
        return f"Step {parts[0][2:]}'s share: the loss term's derivative by {parts[1]}, read off the output."
    theta = parts[1] if parts else "θ"
    return f"Backward mode: every step's delta times its local derivative by {theta}, summed over the steps."


def _agreement(step: Step, derivation: Derivation) -> str:
    """Forward minus backward."""
    return "Forward and backward mode are two orders of the same chain rule: they differ only by rounding."


def _flow(step: Step, derivation: Derivation) -> str:
    """A factor of the gradient through time."""
    return (
        "How much the last state moves per unit move of this one: the product of the links between them. "
        "Near 0 the early steps stop shaping the gradient (it vanishes); far above 1 it explodes."
    )


def _share(step: Step, derivation: Derivation) -> str:
    """One step's share of a gradient."""
    return "This step's part of the gradient (the bars compare the steps on a log scale)."


def _truncated_adjoint(step: Step, derivation: Derivation) -> str:
    """An adjoint of one loss term (truncated BPTT), or in the summary a gradient."""
    parts = _derivative(step.target.name.text.split(" (")[0])
    if not parts or not parts[0].startswith("L_"):
        return _truncated_gradient(step, derivation)
    term, quantity = parts
    if _step_of(quantity)[1] == _step_of(term)[1]:
        return f"{term}'s own backward pass starts at its step: how much {term} alone moves with {quantity}."
    return f"{term}'s backward pass one step further back in time, through the link to the next step."


def _truncated_gradient(step: Step, derivation: Derivation) -> str:
    """A kept or dropped share of truncated BPTT, their sums, or the full gradient."""
    name = step.target.name.text
    parts = _derivative(name.split(" (")[0])
    truncation = derivation.truncation
    steps = truncation.steps
    reach = (
        "its chunk" if truncation.chunked else ("its own step" if steps == 1 else f"the last {steps} steps")
    )
    if name.endswith("(full)"):
        return "The full BPTT gradient: the kept and the dropped shares together, as derived above."
    if parts and parts[0].startswith("L_"):
        if name.endswith("(dropped)"):
            return (
                f"The shares of {parts[0]} from steps further back than {reach}: truncated BPTT drops them; "
                "their size is what truncation costs."
            )
        return f"The shares of {parts[0]} that truncated BPTT keeps: the uses of {parts[1]} in {reach}."
    if name.endswith("(dropped)"):
        return "Every dropped share, summed: how far the truncated gradient is from the full one."
    return (
        "The truncated gradient: every loss term's kept shares, summed (what training with truncation uses)."
    )


def _as_the_rule_says(step: Step, derivation: Derivation) -> str:
    """The fallback: the rule with the numbers known so far."""
    return "The rule on the left, with the numbers known so far substituted."


NOTES: dict[str, Callable[[Step, Derivation], str]] = {
    "loss": _definition,
    "model": _definition,
    "forward": _forward,
    "local": _local,
    "totals": _total,
    "grad": _gradient,
    "deltas": _delta,
    "bgrad": _backward_gradient,
    "agreement": _agreement,
    "flow": _flow,
    "shares": _share,
    "truncation": _truncated_adjoint,
    "truncated": _truncated_gradient,
}
"""The words for each kind of section (keyed by the section key before any ``:``)."""
