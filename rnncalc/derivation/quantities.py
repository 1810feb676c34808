"""The named quantities of one trace as references carrying their values, and the cell's forms per step."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from ..cell.states import PREV, initial, state_of
from ..engine.plan import Chain, Direct, Link, Term
from ..tensor import shown
from .formula import Call, Form, Mul, Name, Rebuild, Ref, fill, from_template
from .names import LOSS, derivative, indexed, initial_state, parameter, partial

if TYPE_CHECKING:
    from ..cell.template import Template
    from ..compute.trace import Trace
    from ..engine.written import Written


@functools.lru_cache(maxsize=4096)
def template(data: Template) -> Form:
    """A display template as a formula (made once per template)."""
    return from_template(data)


@functools.lru_cache(maxsize=64)
def closed_form(function: str) -> Form | None:
    """A function spelled out as a template in the slot ``z`` (sigmoid: 1/(1 + e^(-z))), if it has one."""
    from ..cell.data import spelled
    from ..cell.functions import BY_SHOWN_NAME

    record = BY_SHOWN_NAME.get(function)
    if record is None or not record.spell_out:
        return None
    shipped = spelled(function)
    return from_template(shipped) if shipped is not None else None


class SpellOut(Rebuild):
    """Functions written out with their argument's value: σ(2) becomes 1/(1 + e^(-2))."""

    def __init__(self) -> None:
        super().__init__(lambda leaf: leaf)

    def call(self, form: Call) -> Form:
        written, arg = closed_form(form.function), self(form.arg)
        return fill(written, {"z": arg}) if written is not None else Call(form.function, arg)


def spell_out(form: Form) -> Form | None:
    """The form with its functions written out, or None when it has none to write out."""
    written = SpellOut()(form)
    return None if written == form else written


def generic(symbol: str, previous: bool = False) -> Ref:
    """A quantity at a generic step: a_t, or x_{t-1} and s_{t-1} for what step t reads from before."""
    text = f"{symbol}_{{t-1}}" if previous else f"{symbol}_t"
    return Ref(Name(text, f"{symbol}_{{t-1}}" if previous else f"{symbol}_{{t}}", text), 0.0)


DELTA = "δ"


class Quantities:
    """The named quantities of one trace (its values, partials, totals and adjoints) as references."""

    def __init__(self, trace: Trace, forms: Written) -> None:
        """Index a trace and the forms its cell is shown by."""
        self.trace = trace
        self.forms = forms
        self.plan = trace.plan
        self.spec = trace.net.spec
        self.params: dict[str, Form] = {p: Ref(parameter(p), v, given=True) for p, v in trace.params.items()}
        self._bindings: dict[int, dict[str, Form]] = {}
        self._thetas: dict[str, Name] = {}
        self._single: dict[str, bool] = {}
        self._partials: dict[tuple[str, str, int], Ref] = {}
        self._totals: dict[tuple[str, str, int], Ref] = {}
        carriers = [k for k in self.plan.adjoint_carriers if not (k == "y" and self.plan.trivial_output())]
        self.delta_of = carriers[0] if len(carriers) == 1 and self.spec.plain else None
        self.loss_name = LOSS
        """The loss the adjoints are of: L, or one loss term L_t (truncated BPTT)."""
        self.arrays = hasattr(trace.net, "maps")  # vectors and matrices: Jacobians, written column-wise
        if self.arrays:
            self.params = {p: Ref(parameter(p), shown(v), given=True) for p, v in trace.params.items()}

    def theta(self, key: str) -> Name:
        """How a parameter or initial state is named: W_i, ba, s_0."""
        name = self._thetas.get(key)
        if name is None:
            state = next((s for s in self.spec.states if initial(s) == key), None)
            name = self._thetas[key] = initial_state(state) if state is not None else parameter(key)
        return name

    def stream(self, name: str, i: int) -> Ref:
        """Input ``name`` at index i (read by step i + 1)."""
        return Ref(indexed(name, i), shown(self.trace.streams[name][i]), given=True)

    def value(self, name: str, t: int) -> Ref:
        """A named quantity at step t (t = 0: a state's initial value)."""
        return Ref(indexed(name, t), shown(self.trace.value(name, t)), given=t == 0)

    def g(self, t: int) -> Ref:
        """Target g_t."""
        return Ref(indexed("g", t), shown(self.trace.g[t - 1]), given=True)

    def below(self, u: str, t: int) -> Name:
        """The name a partial is taken by at step t: a_t, s_{t-1} for s_prev, or a parameter."""
        state = state_of(u)
        if state is not None:
            return indexed(state, t - 1)
        if u in self.spec.names or u in self.spec.inputs:
            return indexed(u, t - (1 if u in self.spec.inputs else 0))
        return parameter(u)

    def single(self, k: str) -> bool:
        """k's formula reads one quantity: its local derivative is also the total one, written d."""
        found = self._single.get(k)
        if found is None:
            g = self.plan.graph
            found = self._single[k] = len([u for u in g.edges(k) if u not in g.params]) <= 1
        return found

    def local_name(self, k: str, theta: str, t: int) -> Name:
        """k_t's own derivative by θ: ∂o_2/∂W_i for a parameter (the total do_2/dW_i also comes through
        h_1, and both appear side by side in --method both), d for an initial state or when k reads only θ."""
        top = indexed(k, t)
        if theta in self.spec.params or not self.single(k):
            return partial(top, self.theta(theta))
        return derivative(top, self.theta(theta))

    def partial(self, k: str, u: str, t: int) -> Ref:
        """∂k_t/∂u: a local derivative at step t (written dk/du when k reads nothing else; for vectors
        the Jacobian as a matrix; made once per step)."""
        found = self._partials.get((k, u, t))
        if found is None:
            found = self._partials[k, u, t] = self._partial(k, u, t)
        return found

    def _partial(self, k: str, u: str, t: int) -> Ref:
        """∂k_t/∂u, made."""
        top, bottom = indexed(k, t), self.below(u, t)
        local = u in self.spec.params  # ∂o_2/∂W_i: the total do_2/dW_i also comes through h_1
        name = derivative(top, bottom) if self.single(k) and not local else partial(top, bottom)
        value = self.trace.partials[k, u][t - 1]
        if not self.arrays:
            return Ref(name, value)
        return Ref(name, shown(value.dense()), given=self.matrix(k, u))  # a parameter matrix: as typed

    def matrix(self, k: str, u: str) -> bool:
        """∂k/∂u is a parameter matrix itself (∂(W_h · h_{t-1})/∂h_{t-1} = W_h)."""
        terms = self.trace.net.maps[k, u]
        return len(terms) == 1 and len(terms[0]) == 1 and terms[0][0][0] in ("mat", "matT")

    def parameter_transposed(self, name: str) -> Ref:
        """W_xᵀ: a parameter matrix transposed (the Jacobian of x · W_x by x)."""
        return Ref(transposed_name(parameter(name)), shown(self.trace.params[name].T), given=True)

    def link(self, link: Link, t: int) -> Ref:
        """A partial of a chain, at step t + dt."""
        k, u, dt = link
        return self.partial(k, u, t + dt)

    def form(self, k: str, u: str, t: int) -> Form:
        """The local derivative's form at step t, in that step's quantities."""
        return fill(template(self.forms.partials[f"{k}|{u}"]), self.binding(t))

    def equation(self, k: str, t: int) -> Form:
        """k's formula at step t."""
        return fill(self.equation_form(k), self.binding(t))

    def equation_form(self, k: str) -> Form:
        """k's formula with slots (for vectors: matrix products and entry-by-entry products told apart)."""
        if self.arrays:
            return array_form(self.trace.net.trees[k], self.trace.net.shapes)
        return template(self.forms.equations[k])

    def jacobian(self, k: str, u: str, t: int) -> Form:
        """The rule of a Jacobian at step t: diag(f'(o_t)) for a function acting on each unit, the
        matrix of a matrix product, diag(…) of an entry-by-entry factor, their products and sums."""
        from .formula import Add

        jacobian = self.trace.partials[k, u][t - 1]
        terms = []
        for term, valued in zip(self.trace.net.maps[k, u], jacobian.terms, strict=True):
            factors: list[Form] = []
            for factor, (_, value) in zip(term, valued, strict=True):
                if factor[0] == "mat":
                    factors.append(self.params[factor[1]])
                elif factor[0] == "matT":
                    factors.append(self.parameter_transposed(factor[1]))
                else:
                    factors.append(Call("diag", self._diagonal(k, u, factor[1], value, t)))
            if not factors:
                factors.append(_identity())
            terms.append(factors[0] if len(factors) == 1 else Mul(tuple(factors)))
        return terms[0] if len(terms) == 1 else Add(tuple(terms))

    def _diagonal(self, k: str, u: str, tree: Any, value: Any, t: int) -> Form:
        """An entry-by-entry factor: f'(o_t) when k is a function of the name u alone, else its rule."""
        equation = self.trace.net.trees[k]
        if equation[0] == "call" and equation[2] == ("slot", u):
            function = equation[1]
            below = self.below(u, t)
            spelled = function.replace("_", r"\_")
            latex = rf"\operatorname{{{spelled}}}'({below.latex})"
            name = Name(f"{function}'({below.text})", latex, f"{function}'({below.key})")
            return Ref(name, shown(value))
        return fill(array_form(tree, self.trace.net.shapes), self.binding(t))

    def transposed(self, k: str, u: str, t: int) -> Form:
        """(∂k_t/∂u)ᵀ as a reverse-mode product writes it: a diagonal Jacobian as itself, a parameter
        matrix as its transpose (W_hᵀ), any other Jacobian with ᵀ."""
        jacobian = self.trace.partials[k, u][t - 1]
        if self.matrix(k, u):
            kind, name = self.trace.net.maps[k, u][0][0]
            return self.parameter_transposed(name) if kind == "mat" else self.params[name]
        if jacobian.diagonal is not None:
            return self.partial(k, u, t)
        ref = self.partial(k, u, t)
        return Ref(transposed_name(ref.name, brackets=True), shown(jacobian.dense().T))

    def as_row(self, form: Form) -> Form:
        """A column written as a row: δ_tᵀ (any other form as transpose(…))."""
        import numpy as np

        if isinstance(form, Ref):
            row = np.asarray(form.value, dtype=float).reshape(1, -1)
            return Ref(transposed_name(form.name), shown(row), form.given)
        return Call("transpose", form)

    def row(self, tree: Any, t: int) -> Form:
        """vᵀ: what a matrix's share multiplies δ by, as a row (x_{t-1}ᵀ, h_{t-1}ᵀ)."""
        import numpy as np

        form = fill(array_form(tree, self.trace.net.shapes), self.binding(t))
        if isinstance(form, Ref):
            row = np.asarray(form.value, dtype=float).reshape(1, -1)
            return Ref(transposed_name(form.name), shown(row), form.given)
        return Call("transpose", form)

    def edge(self, k: str, u: str, t: int) -> tuple[Name, Form, Any]:
        """∂k_t/∂u as the graph labels an edge: its name, its rule and its value (for vectors: the
        Jacobian; from a parameter matrix, the factor its gradient takes, x_{t-1}ᵀ)."""
        ref = self.partial(k, u, t) if not (self.arrays and u in self.spec.params) else None
        if not self.arrays:
            return ref.name, self.form(k, u, t), ref.value  # type: ignore[union-attr]
        if ref is not None:
            return ref.name, self.jacobian(k, u, t), ref.value
        top, bottom = indexed(k, t), self.below(u, t)
        name = derivative(top, bottom) if self.single(k) else partial(top, bottom)
        factors: list[Form] = []
        for factor in self.trace.net.maps[k, u][0]:
            if factor[0] == "outer":
                factors.append(self.row(factor[1], t))
            elif factor[0] == "outer_left":
                factors.append(fill(array_form(factor[1], self.trace.net.shapes), self.binding(t)))
            elif factor[0] == "diag":
                factors.append(fill(array_form(factor[1], self.trace.net.shapes), self.binding(t)))
        rule: Form = Mul(tuple(factors)) if len(factors) > 1 else factors[0] if factors else _identity()
        last = factors[-1] if factors else rule
        return name, rule, last.value if isinstance(last, Ref) else 1.0

    def total(self, k: str, theta: str, t: int) -> Ref:
        """dk_t/dθ, the total derivative carried through time (made once)."""
        found = self._totals.get((k, theta, t))
        if found is None:
            found = self._totals[k, theta, t] = self._total(k, theta, t)
        return found

    def _total(self, k: str, theta: str, t: int) -> Ref:
        """dk_t/dθ, made."""
        column = self.trace.forward.totals[theta].get(k) if self.trace.forward else None
        return Ref(derivative(indexed(k, t), self.theta(theta)), shown(column[t - 1]) if column else 0.0)

    def term(self, theta: str, t: int) -> Ref:
        """Step t's share dL_t/dθ (forward mode)."""
        value = self.trace.forward.terms[theta][t - 1] if self.trace.forward else 0.0
        return Ref(derivative(indexed("L", t), self.theta(theta)), shown(value))

    def dL_dy(self, t: int) -> Ref:
        """dL_t/dy_t."""
        return Ref(derivative(indexed("L", t), indexed("y", t)), shown(self.trace.dL_dy[t - 1]))

    def adjoint(self, k: str, t: int) -> Ref:
        """dL/dk_t (δ_t when one quantity carries every adjoint of the worked example's cell)."""
        value = shown(self.trace.backward.adjoints[k][t - 1]) if self.trace.backward else 0.0
        if k == self.delta_of:
            return Ref(Name(f"{DELTA}_{t}", rf"\delta_{{{t}}}", f"delta_{t}"), value)
        return Ref(derivative(self.loss_name, indexed(k, t)), value)

    def chain(self, chain: Chain, t: int, theta: str) -> Form:
        """A chain's partials and the total it ends in, as a product (one link back to the initial state
        θ itself: that partial's form)."""
        factors: list[Form] = [self.link(link, t) for link in chain.links]
        if chain.end is None:
            k, u, dt = chain.links[0]
            if len(chain.links) > 1:
                return Mul(tuple(factors))
            return self.jacobian(k, u, t + dt) if self.arrays else self.form(k, u, t + dt)
        factors.append(self.total(chain.end[0], theta, t + chain.end[1]))
        return factors[0] if len(factors) == 1 else Mul(tuple(factors))

    def rule_term(self, term: Term, k: str, theta: str, t: int) -> Form:
        """One term of dk_t/dθ (for vectors θ's own partial is a matrix: a column per entry of θ)."""
        if isinstance(term, Direct) and self.arrays:
            jacobian = self.trace.partials[k, term.use][t - 1]
            import numpy as np

            given = self.trace.params[theta] if theta in self.trace.params else self.trace.init[theta]
            columns = jacobian.jvp(np.eye(np.size(given)))
            return Ref(partial(indexed(k, t), self.theta(theta)), shown(columns))
        if isinstance(term, Direct):
            return self.form(k, term.use, t)
        return self.chain(term, t, theta)

    def binding(self, t: int) -> dict[str, Form]:
        """What the cell's symbols mean at step t (made once per step)."""
        if t not in self._bindings:
            step: dict[str, Form] = {s: self.stream(s, t - 1) for s in self.spec.inputs}
            step |= {s + PREV: self.value(s, t - 1) for s in self.spec.states}
            step |= {k: self.value(k, t) for k in self.spec.names}
            self._bindings[t] = step | {"g": self.g(t)} | self.params
        return self._bindings[t]

    def generic_binding(self) -> dict[str, Form]:
        """The cell's symbols at a generic step t."""
        step: dict[str, Form] = {s: generic(s, True) for s in self.spec.inputs}
        step |= {s + PREV: generic(s, True) for s in self.spec.states}
        step |= {k: generic(k) for k in self.spec.names}
        return step | {"g": generic("g")} | self.params

    def loss_at(self, t: int) -> Form:
        """Step t's loss term (for vectors: w · ‖y_t - g_t‖², or -w · log p_t[g_t])."""
        if not self.arrays:
            return fill(template(self.forms.loss), self.binding(t))
        from fractions import Fraction

        from .formula import Const, Neg

        problem = self.trace.problem
        weight = Const(Fraction(problem.loss_weight))
        y, g = self.trace.values["y"][t - 1], self.trace.g[t - 1]
        if problem.loss == "softmax-ce":
            import numpy as np

            p = self.trace.softmax[t - 1]
            name = Name(f"p_{t}[g_{t}]", rf"p_{{{t}}}[g_{{{t}}}]", f"p_{t}[g_{t}]")
            picked = Ref(name, float(np.sum(p * g)))
            return Neg(Mul((weight, Call("log", picked))))
        if problem.loss_term is not None:  # the user's term entry by entry, summed over the entries
            total = Name(f"Σ ℓ_{t}", rf"\textstyle\sum \ell_{{{t}}}", f"sum(l_{t})")
            value = Ref(total, self.trace.loss_terms[t - 1] / float(weight.value))
            return Mul((weight, value)) if weight.value != 1 else value
        norm = Name(f"‖y_{t} - g_{t}‖²", rf"\lVert y_{{{t}}} - g_{{{t}}} \rVert^{{2}}", f"|y_{t}-g_{t}|^2")
        value = Ref(norm, float(((y - g) ** 2).sum()))
        return Mul((weight, value)) if weight.value != 1 else value

    def local_loss(self, t: int) -> Form:
        """dL_t/dy_t's form at step t (softmax cross-entropy: w · (p_t - g_t))."""
        if self.arrays and self.trace.problem.loss == "softmax-ce":
            from fractions import Fraction

            from .formula import Add, Const, Neg

            weight = Fraction(self.trace.problem.loss_weight)
            p = Ref(indexed("p", t), shown(self.trace.softmax[t - 1]))
            difference = Add((p, Neg(self.g(t))))
            return difference if weight == 1 else Mul((Const(weight), difference))
        return fill(template(self.forms.dL_dy), self.binding(t))


def _identity() -> Ref:
    """I, the identity matrix."""
    return Ref(Name("I", "I", "I"), 1.0, given=True)


def transposed_name(name: Name, brackets: bool = False) -> Name:
    """The transpose: W_hᵀ, (∂z_2/∂h_1)ᵀ."""
    text, latex = (f"({name.text})", rf"\left({name.latex}\right)") if brackets else (name.text, name.latex)
    return Name(f"{text}ᵀ", rf"{latex}^{{\top}}", f"{name.key}^T")


def array_form(tree: Any, shapes: dict[str, Any]) -> Form:
    """An array tree as a formula template: a matrix product W · x, vectors entry by entry (⊙), a
    leading -1 as a minus sign and a power of -1 as a quotient, as the scalar forms write them."""
    from fractions import Fraction

    from .formula import Add, Call, Const, Div, Neg, Pow, Slot

    tag = tree[0]
    if tag == "slot":
        return Slot(tree[1])
    if tag == "const":
        value = Fraction(tree[1])
        return Neg(Const(-value)) if value < 0 else Const(value)
    if tag == "add":
        terms = [array_form(t, shapes) for t in tree[1]]
        later = [t for t in terms if isinstance(t, Neg)]
        return Add((*(t for t in terms if not isinstance(t, Neg)), *later))
    if tag in ("matvec", "vecmat"):
        return Mul((array_form(tree[1], shapes), array_form(tree[2], shapes)))
    if tag == "mul":
        factors = list(tree[1])
        negative = factors[0] == ("const", "-1") and len(factors) > 1
        if negative:
            factors = factors[1:]
        vectors = sum(1 for f in factors if _vector(f, shapes))
        forms = tuple(array_form(f, shapes) for f in factors)
        form: Form = forms[0] if len(forms) == 1 else Mul(forms, hadamard=vectors > 1)
        return Neg(form) if negative else form
    if tag == "neg":
        return Neg(array_form(tree[1], shapes))
    if tag == "pow":
        if tree[2] == ("const", "-1"):
            return Div(Const(Fraction(1)), array_form(tree[1], shapes))
        return Pow(array_form(tree[1], shapes), array_form(tree[2], shapes))
    if tag == "div":
        return Div(array_form(tree[1], shapes), array_form(tree[2], shapes))
    from ..cell.functions import FUNCTIONS

    return Call(FUNCTIONS[tree[1]].shown_name, array_form(tree[2], shapes))


def _vector(tree: Any, shapes: dict[str, Any]) -> bool:
    """The tree's value is a vector (a name of vector shape, or anything built from one)."""
    if tree[0] == "slot":
        return len(shapes.get(tree[1], ())) == 1
    if tree[0] == "const":
        return False
    if tree[0] in ("matvec", "vecmat"):
        return True
    from ..cell.tree import children

    return any(_vector(child, shapes) for child in children(tree))
