"""The derivation of a vector RNN: the forward pass with matrices substituted, the local Jacobians, the
deltas δ_t from t = n down to 1, and each gradient as the sum of its per-step outer products."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..compute.problem import Settings
from ..compute.vector import PARAMETER_ORDER, VectorProblem, VectorTrace, run_vector
from ..tensor import Tensor
from .formula import Add, Call, Const, Form, Mul, Name, Neg, Ref
from .model import Derivation, NamedColumns, Section, Step
from .names import LOSS, derivative, gradient, indexed, parameter

LOSS_TEXT = {
    "mse": (
        "L = 1/n Σ_{t=1}^{n} ‖y_t - g_t‖²",
        r"L = \frac{1}{n} \sum_{t=1}^{n} \lVert y_{t} - g_{t} \rVert^{2}",
    ),
    "sse": ("L = Σ_{t=1}^{n} ‖y_t - g_t‖²", r"L = \sum_{t=1}^{n} \lVert y_{t} - g_{t} \rVert^{2}"),
    "half-sse": (
        "L = 1/2 Σ_{t=1}^{n} ‖y_t - g_t‖²",
        r"L = \frac{1}{2} \sum_{t=1}^{n} \lVert y_{t} - g_{t} \rVert^{2}",
    ),
    "softmax-ce": (
        "L = 1/n Σ_{t=1}^{n} -log p_t[g_t], p_t = softmax(y_t)",
        r"L = \frac{1}{n} \sum_{t=1}^{n} -\log p_{t}[g_{t}],\ p_{t} = \operatorname{softmax}(y_{t})",
    ),
}
"""Each vector loss in words and LaTeX (docs/math.md gives the same definitions)."""


def _t(name: Name) -> Name:
    """The transpose: x_0ᵀ."""
    return Name(f"{name.text}ᵀ", rf"{name.latex}^{{\top}}", f"{name.key}^T")


def _ref(name: Name, value: np.ndarray | float, given: bool = False) -> Ref:
    """A named vector or matrix (or number) with its value."""
    shown = Tensor.of(value) if np.ndim(value) else float(value)
    return Ref(name, shown, given)  # type: ignore[arg-type]


class VectorQuantities:
    """Every named quantity of a vector trace, as references carrying their values."""

    def __init__(self, trace: VectorTrace) -> None:
        """Keep the trace and its problem."""
        self.trace, self.problem = trace, trace.problem

    def param(self, key: str, transposed: bool = False) -> Ref:
        """W_i, W_h, b, a, c (given values), or a transpose."""
        value = self.problem.arrays[key]
        name = parameter(key)
        return _ref(_t(name), value.T, True) if transposed else _ref(name, value, True)

    def x(self, i: int, transposed: bool = False) -> Ref:
        """x_i (given), or its transpose as a row."""
        value = self.problem.arrays["x"][i]
        name = indexed("x", i)
        return _ref(_t(name), value.reshape(1, -1), True) if transposed else _ref(name, value, True)

    def h(self, t: int, transposed: bool = False) -> Ref:
        """h_t (h_0 given), or its transpose."""
        value = self.trace.h[t]
        name = indexed("h", t)
        return _ref(_t(name), value.reshape(1, -1), t == 0) if transposed else _ref(name, value, t == 0)

    def o(self, t: int) -> Ref:
        """o_t."""
        return _ref(indexed("o", t), self.trace.o[t - 1])

    def y(self, t: int) -> Ref:
        """y_t."""
        return _ref(indexed("y", t), self.trace.y[t - 1])

    def p(self, t: int) -> Ref:
        """p_t = softmax(y_t)."""
        return _ref(indexed("p", t), self.trace.p[t - 1])  # type: ignore[index]

    def g(self, t: int) -> Ref:
        """g_t (given; a one-hot row for softmax-ce)."""
        return _ref(indexed("g", t), self.problem.arrays["g"][t - 1], True)

    def dL_dy(self, t: int) -> Ref:
        """dL_t/dy_t."""
        return _ref(derivative(indexed("L", t), indexed("y", t)), self.trace.dL_dy[t - 1])

    def dh_do(self, t: int) -> Ref:
        """dh_t/do_t = diag(act'(o_t)), a diagonal matrix."""
        return _ref(derivative(indexed("h", t), indexed("o", t)), np.diag(self.trace.dh_do[t - 1]))

    def delta(self, t: int) -> Ref:
        """δ_t = dL/do_t."""
        return _ref(Name(f"δ_{t}", rf"\delta_{{{t}}}", f"delta_{t}"), self.trace.delta[t - 1])


def derive_vector(
    problem: VectorProblem, settings: Settings, scope: str = "grads", steps: bool = True
) -> Derivation:
    """Work a vector problem: the numbers always, the sections of steps when ``steps``."""
    trace = run_vector(problem, settings, terms=steps)
    q = VectorQuantities(trace)
    sections: tuple[Section, ...] = ()
    if steps:
        sections = (loss_section(q), model_section(q), known_section(q), forward_section(q))
        if scope == "grads":
            sections += (local_section(q), deltas_section(q), *gradient_sections(q))
    gradients = {key: Tensor.of(value) for key, value in trace.gradients.items()}
    names = {key: gradient(key) for key in gradients}
    n = problem.n
    columns = NamedColumns(
        {"x": [Tensor.of(row) for row in problem.arrays["x"]]},
        {
            "o": [Tensor.of(row) for row in trace.o],
            "h": [Tensor.of(row) for row in trace.h[1:]],
            "y": [Tensor.of(row) for row in trace.y[:n]],
        },
    )
    derivation = Derivation(
        problem=problem,  # type: ignore[arg-type]
        settings=settings,
        scope=scope,
        columns=columns,
        loss=trace.loss,
        gradients=gradients if scope == "grads" else {},
        gradient_names=names,
        sections=sections,
        method="backward",
    )
    if settings.exact and steps:
        from .vector_exact import with_exact_vector

        derivation = with_exact_vector(derivation)
    return derivation


def loss_section(q: VectorQuantities) -> Section:
    """The loss function, and its terms for this n."""
    text, latex = LOSS_TEXT[q.problem.loss]
    step = Step(Ref(LOSS, q.trace.loss), _loss_rule(q), definition=True)
    note = None
    if not all(q.problem.targets):
        missing = ", ".join(str(t) for t in range(1, q.problem.n + 1) if not q.problem.targets[t - 1])
        note = f"Steps without a target (g = _) add nothing to the loss: t = {missing}."
    return Section("loss", q.problem.loss.upper(), (step,), Name(text, latex, q.problem.loss), note=note)


def _loss_rule(q: VectorQuantities) -> Form:
    """The sum of the loss terms of the steps that have a target."""
    terms = tuple(_loss_term(q, t) for t in _target_steps(q))
    return Add(terms) if len(terms) > 1 else terms[0]


def _target_steps(q: VectorQuantities) -> list[int]:
    """The steps t (1..n) that have a target."""
    return [t for t in range(1, q.problem.n + 1) if q.problem.targets[t - 1]]


def _loss_term(q: VectorQuantities, t: int) -> Form:
    """Step t's loss term as a formula: w · ‖y_t - g_t‖², or -w · log p_t[g_t]."""
    weight = Const(_weight(q.problem))
    if q.problem.loss == "softmax-ce":
        picked = Ref(Name(f"p_{t}[g_{t}]", rf"p_{{{t}}}[g_{{{t}}}]", f"p_{t}[g_{t}]"), float(_picked(q, t)))
        return Neg(Mul((weight, Call("log", picked))))
    norm = Name(f"‖y_{t} - g_{t}‖²", rf"\lVert y_{{{t}}} - g_{{{t}}} \rVert^{{2}}", f"|y_{t}-g_{t}|^2")
    value = float(np.sum((q.trace.y[t - 1] - q.problem.arrays["g"][t - 1]) ** 2))
    return Mul((weight, Ref(norm, value))) if weight.value != 1 else Ref(norm, value)


def _picked(q: VectorQuantities, t: int) -> float:
    """p_t[g_t]: the probability of the right class (the one-hot target picks it)."""
    return float(np.sum(q.trace.p[t - 1] * q.problem.arrays["g"][t - 1]))  # type: ignore[index]


def _weight(problem: VectorProblem) -> Fraction:
    """The loss weight as an exact fraction: 1/(number of targets), 1 or 1/2."""
    return problem.weight


def model_section(q: VectorQuantities) -> Section:
    """The network at a generic step, as matrix products."""
    generic = {k: Ref(Name(f"{k}_t", f"{k}_{{t}}", f"{k}_t"), 0.0) for k in ("o", "h", "y", "p")}
    prev = {k: Ref(Name(f"{k}_{{t-1}}", f"{k}_{{t-1}}", f"{k}_{{t-1}}"), 0.0) for k in ("x", "h")}
    w = {k: Ref(parameter(k), 0.0) for k in PARAMETER_ORDER}
    steps = [
        Step(
            generic["o"], Add((Mul((w["Wi"], prev["x"])), Mul((w["Wh"], prev["h"])), w["b"])), definition=True
        ),
        Step(generic["h"], Call(_activation_shown(q), generic["o"]), definition=True),
        Step(generic["y"], Add((Mul((w["a"], generic["h"])), w["c"])), definition=True),
    ]
    if q.problem.loss == "softmax-ce":
        steps.append(Step(generic["p"], Call("softmax", generic["y"]), definition=True))
    shapes = q.problem.shapes
    note = (
        f"H = {shapes['H']} hidden unit(s), D = {shapes['D']} input(s), K = {shapes['K']} output(s); "
        f"{q.problem.activation} acts on each unit; · is the matrix product."
    )
    if max(shapes["H"], shapes["D"], shapes["K"]) > 4:
        note += (
            " On the terminal a vector or matrix larger than 4 is shown as its shape and norm;"
            " files and JSON keep every number."
        )
    return Section("model", "Forward pass", tuple(steps), note=note)


def _latex_name(q: VectorQuantities) -> str:
    """The activation's name for \\operatorname (underscores escaped)."""
    return q.problem.activation.replace("_", r"\_")


def _activation_shown(q: VectorQuantities) -> str:
    """The activation's name as formula trees call it."""
    from ..cell.functions import FUNCTIONS

    return FUNCTIONS[q.problem.activation].shown_name


def known_section(q: VectorQuantities) -> Section:
    """Inputs, targets, initial state and parameters."""
    n = q.problem.n
    steps = [Step(q.x(i), t=i + 1) for i in range(n)] + [Step(q.g(t), t=t) for t in _target_steps(q)]
    steps += [Step(q.h(0))] + [Step(q.param(k)) for k in PARAMETER_ORDER]
    return Section("known", "Known parameters", tuple(steps))


def forward_section(q: VectorQuantities) -> Section:
    """o_t, h_t, y_t (and p_t) for each step with the matrices substituted, then the loss."""
    steps = []
    for t in range(1, q.problem.n + 1):
        o_rule = Add((Mul((q.param("Wi"), q.x(t - 1))), Mul((q.param("Wh"), q.h(t - 1))), q.param("b")))
        steps.append(Step(q.o(t), o_rule, t=t))
        steps.append(Step(q.h(t), Call(_activation_shown(q), q.o(t)), t=t))
        steps.append(Step(q.y(t), Add((Mul((q.param("a"), q.h(t))), q.param("c"))), t=t))
        if q.problem.loss == "softmax-ce":
            steps.append(Step(q.p(t), Call("softmax", q.y(t)), t=t))
    steps.append(Step(Ref(LOSS, q.trace.loss), _loss_rule(q)))
    return Section("forward", "Calculations for the forward pass", tuple(steps))


def local_section(q: VectorQuantities) -> Section:
    """dL_t/dy_t, the Jacobians dh_t/do_t = diag(act'(o_t)) and do_t/dh_{t-1} = W_h."""
    steps = [Step(q.dL_dy(t), _loss_slope_rule(q, t), t=t) for t in _target_steps(q)]
    for t in range(1, q.problem.n + 1):
        slope = Name(
            f"{q.problem.activation}'(o_{t})",
            rf"\operatorname{{{_latex_name(q)}}}'(o_{{{t}}})",
            f"act'(o_{t})",
        )
        steps.append(Step(q.dh_do(t), Call("diag", _ref(slope, q.trace.dh_do[t - 1])), t=t))
    for t in range(2, q.problem.n + 1):
        name = derivative(indexed("o", t), indexed("h", t - 1))
        steps.append(Step(_ref(name, q.problem.arrays["Wh"], given=True), q.param("Wh"), t=t))
    note = f"dh_t/do_t is diagonal: {q.problem.activation} acts on each unit alone."
    return Section("local", "Local derivatives (Jacobians)", tuple(steps), note=note)


def _loss_slope_rule(q: VectorQuantities, t: int) -> Form:
    """dL_t/dy_t: w · 2(y_t - g_t) for the squared errors, w · (p_t - g_t) for softmax-ce."""
    weight = _weight(q.problem)
    if q.problem.loss == "softmax-ce":
        difference = Add((q.p(t), Neg(q.g(t))))
    else:
        weight, difference = 2 * weight, Add((q.y(t), Neg(q.g(t))))
    return difference if weight == 1 else Mul((Const(weight), difference))


def deltas_section(q: VectorQuantities) -> Section:
    """δ_n first, back to δ_1: δ_t = dh_t/do_t · (aᵀ · dL_t/dy_t + W_hᵀ · δ_{t+1})."""
    lead = Name(
        "δ_t = dL/do_t = dh_t/do_t · (aᵀ · dL_t/dy_t + W_hᵀ · δ_{t+1}), with δ_{n+1} = 0",
        r"\delta_{t} = \frac{dL}{do_{t}} = \frac{dh_{t}}{do_{t}} \left(a^{\top} \frac{dL_{t}}{dy_{t}} + "
        r"W_{h}^{\top} \delta_{t+1}\right),\ \delta_{n+1} = 0",
        "delta",
    )
    steps = []
    n = q.problem.n
    for t in range(n, 0, -1):
        inside: list[Form] = [Mul((q.param("a", True), q.dL_dy(t)))] if q.problem.targets[t - 1] else []
        if t < n:
            inside.append(Mul((q.param("Wh", True), q.delta(t + 1))))
        if not inside:  # the last step without a target: nothing reaches o_n
            steps.append(Step(q.delta(t), Const(Fraction(0)), t=t))
            continue
        rule = Mul((q.dh_do(t), Add(tuple(inside)) if len(inside) > 1 else inside[0]))
        steps.append(Step(q.delta(t), rule, t=t))
    return Section("deltas", "Deltas, backward in time", tuple(steps), lead)


def gradient_sections(q: VectorQuantities) -> list[Section]:
    """dW_i = Σ_t δ_t x_{t-1}ᵀ, dW_h = Σ_t δ_t h_{t-1}ᵀ, db = Σ_t δ_t, da = Σ_t dL_t/dy_t h_tᵀ, dc, dh_0."""
    n = q.problem.n
    parts = {
        "Wi": lambda t: Mul((q.delta(t), q.x(t - 1, True))),
        "Wh": lambda t: Mul((q.delta(t), q.h(t - 1, True))),
        "b": lambda t: q.delta(t),
        "a": lambda t: Mul((q.dL_dy(t), q.h(t, True))),
        "c": lambda t: q.dL_dy(t),
    }
    sections = []
    for key, part in parts.items():
        steps = []
        if key in ("Wi", "Wh", "a"):
            for t in range(1, n + 1) if key != "a" else _target_steps(q):
                term = q.trace.terms[key][t - 1]
                name = Name(
                    f"dL/d{parameter(key).text} (t = {t})",
                    rf"\frac{{dL}}{{d{parameter(key).latex}}}\Big|_{{t={t}}}",
                    f"dL/d{key}@{t}",
                )
                steps.append(Step(_ref(name, term), part(t), t=t))
            total_rule: Form = Add(tuple(s.target for s in steps)) if len(steps) > 1 else steps[0].target
        else:
            at = range(1, n + 1) if key == "b" else _target_steps(q)
            total_rule = Add(tuple(part(t) for t in at)) if len(at) > 1 else part(at[0])
        steps.append(Step(_ref(gradient(key), q.trace.gradients[key]), total_rule))
        sections.append(Section(f"grad:{key}", f"d{parameter(key).text}", tuple(steps)))
    h0 = Step(_ref(gradient("h0"), q.trace.gradients["h0"]), Mul((q.param("Wh", True), q.delta(1))))
    sections.append(Section("grad:h0", "dh_0", (h0,)))
    return sections
