"""Jacobians: the named quantities of an array problem, each local derivative a matrix.

``ArrayQuantities`` is ``Quantities`` for vectors and matrices: a local derivative is a Jacobian written
from its factors (diag(f'(o_t)), a parameter matrix, W_hᵀ), a total dk_t/dθ a matrix of a column per
entry of θ, and the loss term a norm (or -log p_t[g_t]).
"""

from __future__ import annotations

from typing import Any

from ..engine.plan import Direct, Term
from ..tensor import shown
from .forms import array_form
from .formula import Call, Form, Mul, Name, Ref, fill
from .names import derivative, indexed, parameter, partial
from .quantities import Quantities, identity_ref, transposed_name


class ArrayQuantities(Quantities):
    """The named quantities of a trace of arrays; its local derivatives are Jacobians."""

    values_name = "arrays"

    def __init__(self, trace: Any, forms: Any) -> None:
        super().__init__(trace, forms)
        self.params = {p: Ref(parameter(p), shown(v), given=True) for p, v in trace.params.items()}

    def partial_ref(self, name: Name, k: str, u: str, value: Any) -> Ref:
        """∂k_t/∂u as a matrix (a parameter matrix as typed)."""
        return Ref(name, shown(value.dense()), given=self.matrix(k, u))

    def equation_form(self, k: str) -> Form:
        """k's formula with slots, matrix products and entry-by-entry products told apart."""
        return array_form(self.trace.net.trees[k], self.trace.net.shapes)

    def local_rule(self, k: str, u: str, t: int) -> Form:
        """∂k_t/∂u as a Jacobian: diag(…) and matrices."""
        return self.jacobian(k, u, t)

    def dense_partial(self, k: str, u: str, t: int) -> Any:
        """∂k_t/∂u's value, as a dense Jacobian matrix."""
        return self.trace.partials[k, u][t - 1].dense()

    def identity(self, state: str) -> Any:
        """∂s/∂s: the identity matrix of the state's size."""
        import numpy as np

        return np.eye(len(self.trace.value(state, 1)))

    def one(self, state: str) -> Form:
        """∂s/∂s as written: I."""
        return Ref(Name("I", "I", "I"), shown(self.identity(state)), given=True)

    def matrix(self, k: str, u: str) -> bool:
        """∂k/∂u is a parameter matrix itself (∂(W_h · h_{t-1})/∂h_{t-1} = W_h)."""
        terms = self.trace.net.maps[k, u]
        return len(terms) == 1 and len(terms[0]) == 1 and terms[0][0][0] in ("mat", "matT")

    def parameter_transposed(self, name: str) -> Ref:
        """W_xᵀ: a parameter matrix transposed (the Jacobian of x · W_x by x)."""
        return Ref(transposed_name(parameter(name)), shown(self.trace.params[name].T), given=True)

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
                factors.append(identity_ref())
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
        ref = self.partial(k, u, t) if u not in self.spec.params else None
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
        rule: Form = Mul(tuple(factors)) if len(factors) > 1 else factors[0] if factors else identity_ref()
        last = factors[-1] if factors else rule
        return name, rule, last.value if isinstance(last, Ref) else 1.0

    def rule_term(self, term: Term, k: str, theta: str, t: int) -> Form:
        """One term of dk_t/dθ: θ's own partial is a matrix, a column per entry of θ."""
        if isinstance(term, Direct):
            jacobian = self.trace.partials[k, term.use][t - 1]
            import numpy as np

            given = self.trace.params[theta] if theta in self.trace.params else self.trace.init[theta]
            columns = jacobian.jvp(np.eye(np.size(given)))
            return Ref(partial(indexed(k, t), self.theta(theta)), shown(columns))

        return super().rule_term(term, k, theta, t)

    def loss_at(self, t: int) -> Form:
        """Step t's loss term: w · ‖y_t - g_t‖², or -w · log p_t[g_t]."""
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
        if self.trace.problem.loss == "softmax-ce":
            from fractions import Fraction

            from .formula import Add, Const, Neg

            weight = Fraction(self.trace.problem.loss_weight)
            p = Ref(indexed("p", t), shown(self.trace.softmax[t - 1]))
            difference = Add((p, Neg(self.g(t))))
            return difference if weight == 1 else Mul((Const(weight), difference))

        return super().local_loss(t)


def quantities_of(trace: Any, forms: Any) -> Quantities:
    """The trace's named quantities: of numbers, or of arrays (Jacobians): the derivation's one place
    that asks which kind of value a problem holds."""
    return ArrayQuantities(trace, forms) if trace.problem.arrays is not None else Quantities(trace, forms)
