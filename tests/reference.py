"""An independent reference: the same network written plainly, its loss, and its gradients two other ways.

Nothing here imports rnncalc: these are the oracles the tests compare rnncalc against.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import sympy

NAMES = ("Wi", "Wh", "a", "b", "c", "h0")

ACTIVATIONS = {
    "sigmoid": lambda z: 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z)),
    "tanh": math.tanh,
    "relu": lambda z: max(0.0, z),
    "leaky_relu": lambda z: z if z > 0 else 0.01 * z,
    "softplus": lambda z: z + math.log1p(math.exp(-z)) if z > 0 else math.log1p(math.exp(z)),
    "identity": lambda z: z,
}
KINKED = ("relu", "leaky_relu")
WEIGHTS = {
    "mse": lambda n: Fraction(1, n),
    "sse": lambda n: Fraction(1),
    "half-sse": lambda n: Fraction(1, 2),
    "bce": lambda n: Fraction(1, n),
}


def term(kind, y, g, log=math.log):
    """One step's loss term before the weight: the squared error, or binary cross-entropy."""
    if kind == "bce":
        return -(g * log(y) + (1 - g) * log(1 - y))
    return (y - g) ** 2


def loss(x, g, theta, activation="sigmoid", kind="mse"):
    """L for inputs x, targets g and theta = {Wi, Wh, a, b, c, h0}."""
    h = theta["h0"]
    total = 0.0
    for xt, gt in zip(x, g):
        h = ACTIVATIONS[activation](theta["Wi"] * xt + theta["Wh"] * h + theta["b"])
        if gt is not None:  # None: no target at this step
            total += term(kind, theta["a"] * h + theta["c"], gt)
    return total * float(WEIGHTS[kind](count_targets(g)))


def count_targets(g):
    """Steps with a target (None marks one without)."""
    return sum(v is not None for v in g)


def pre_activations(x, theta, activation="sigmoid"):
    """o_1..o_n, to keep finite differences away from relu's kink."""
    h, result = theta["h0"], []
    for xt in x:
        o = theta["Wi"] * xt + theta["Wh"] * h + theta["b"]
        result.append(o)
        h = ACTIVATIONS[activation](o)
    return result


def finite_differences(x, g, theta, activation="sigmoid", kind="mse", step=1e-5):
    """Central differences (Richardson-extrapolated) of the loss in each of Wi, Wh, a, b, c, h0."""

    def central(name, h):
        up = dict(theta, **{name: theta[name] + h})
        down = dict(theta, **{name: theta[name] - h})
        return (loss(x, g, up, activation, kind) - loss(x, g, down, activation, kind)) / (2 * h)

    return {name: (4 * central(name, step / 2) - central(name, step)) / 3 for name in NAMES}


def symbolic_gradients(x, g, theta, activation="sigmoid", kind="mse", digits=30):
    """Differentiate the fully unrolled loss with SymPy and evaluate at high precision (small n only)."""
    symbols = {name: sympy.Symbol(name, real=True) for name in NAMES}
    act = {
        "sigmoid": lambda z: 1 / (1 + sympy.exp(-z)),
        "tanh": sympy.tanh,
        "relu": lambda z: sympy.Max(0, z),
        "leaky_relu": lambda z: sympy.Max(z, z / 100),
        "softplus": lambda z: sympy.log(1 + sympy.exp(z)),
        "identity": lambda z: z,
    }[activation]
    h = symbols["h0"]
    total = 0
    for xt, gt in zip(x, g):
        h = act(symbols["Wi"] * sympy.nsimplify(xt) + symbols["Wh"] * h + symbols["b"])
        if gt is not None:
            total += term(kind, symbols["a"] * h + symbols["c"], sympy.nsimplify(gt), sympy.log)
    total = total * sympy.Rational(WEIGHTS[kind](count_targets(g)))
    values = {
        symbols[k]: sympy.Rational(Fraction(v)) if not isinstance(v, sympy.Basic) else v
        for k, v in theta.items()
    }
    return {name: float(sympy.diff(total, symbols[name]).subs(values).evalf(digits)) for name in NAMES}


def loss_with_bump(x, g, theta, activation, node, t, bump):
    """L when ``bump`` is added to o_t, h_t or y_t right after it is computed (t from 1)."""
    h = theta["h0"]
    total = 0.0
    for step, (xt, gt) in enumerate(zip(x, g), start=1):
        o = theta["Wi"] * xt + theta["Wh"] * h + theta["b"] + (bump if (node, step) == ("o", t) else 0.0)
        h = ACTIVATIONS[activation](o) + (bump if (node, step) == ("h", t) else 0.0)
        y = theta["a"] * h + theta["c"] + (bump if (node, step) == ("y", t) else 0.0)
        total += (y - gt) ** 2
    return total / len(x)


PIECEWISE = {
    "relu": (lambda z: z if z > 0 else 0 * z, lambda z: Fraction(1) if z > 0 else Fraction(0)),
    "leaky_relu": (lambda z: z if z > 0 else z / 100, lambda z: Fraction(1) if z > 0 else Fraction(1, 100)),
    "identity": (lambda z: z, lambda z: Fraction(1)),
}


def exact_gradients(x, g, theta, activation, kind="mse"):
    """Forward-mode derivatives in exact rationals for piecewise-linear activations: every kink decided
    on the exact value (relu'(0) = 0, leaky_relu'(0) = 0.01, the documented conventions)."""
    act, slope = PIECEWISE[activation]
    t = {k: Fraction(v) for k, v in theta.items()}
    h, dh = t["h0"], {name: Fraction(int(name == "h0")) for name in NAMES}
    weight = WEIGHTS[kind](count_targets(g))
    grads = dict.fromkeys(NAMES, Fraction(0))
    for xt, gt in zip(x, g):
        xt = Fraction(xt)
        o = t["Wi"] * xt + t["Wh"] * h + t["b"]
        direct = {"Wi": xt, "Wh": h, "b": Fraction(1)}
        do = {name: direct.get(name, Fraction(0)) + t["Wh"] * dh[name] for name in NAMES}
        s = slope(o)
        h = act(o)
        dh = {name: s * do[name] for name in NAMES}
        output = {"a": h, "c": Fraction(1)}
        dy = {name: t["a"] * dh[name] + output.get(name, Fraction(0)) for name in NAMES}
        if gt is None:
            continue
        residual = t["a"] * h + t["c"] - Fraction(gt)
        for name in NAMES:
            grads[name] += weight * 2 * residual * dy[name]
    return grads


NETWORK_FUNCTIONS = {
    "sigmoid": lambda z: 1 / (1 + sympy.exp(-z)),
    "tanh": sympy.tanh,
    "softplus": lambda z: sympy.log(1 + sympy.exp(z)),
    "exp": sympy.exp,
    "log": sympy.log,
}


def network_loss_function(equations, streams, g, loss_kind="mse", init=None):
    """The unrolled loss of a cell of named equations as an mpmath function of its parameters.

    Equations are parsed by SymPy here (not by rnncalc); NAME_prev is the previous step's NAME; the
    returned function takes a dict of parameter values and initial states keyed NAME0 (default 0).
    """
    import mpmath

    sides = [(left.strip(), right) for left, _, right in (e.partition("=") for e in equations)]
    names = [name for name, _ in sides]
    n = len(g)
    targets = [t for t in range(n) if g[t] is not None]
    weight = WEIGHTS[loss_kind](len(targets)) if loss_kind in WEIGHTS else Fraction(1)

    def loss_of(values):
        prev = {f"{s}_prev": values.get(f"{s}0", (init or {}).get(s, 0)) for s in names}
        total = 0
        for t in range(n):
            env = dict(NETWORK_FUNCTIONS) | prev | {k: v[t] for k, v in streams.items()}
            env |= {k: v for k, v in values.items()}
            for name, right in sides:
                env[name] = sympy.sympify(right, locals=env)
            if t in targets:
                total += sympy.Rational(weight) * term(loss_kind, env["y"], g[t], log=sympy.log)
            prev = {f"{s}_prev": env[s] for s in names}
        return total

    def evaluate(values):
        with mpmath.workdps(40):
            return mpmath.mpf(sympy.N(loss_of({k: sympy.nsimplify(v) for k, v in values.items()}), 40))

    return loss_of, evaluate


def network_gradients(equations, streams, g, values, loss_kind="mse"):
    """dL/dθ for every key of ``values``: central differences of the unrolled SymPy loss at 60 digits.

    (SymPy's own ``diff`` of a three-step LSTM takes minutes; a 1e-25 step at 60 digits is exact to
    about 1e-35, far below the 1e-9 the tests ask for.)
    """
    import mpmath

    loss_of, _ = network_loss_function(equations, streams, g, loss_kind)
    keys = list(values)
    symbols = [sympy.Symbol(f"{k}_ref") for k in keys]
    loss = sympy.lambdify(symbols, loss_of(dict(zip(keys, symbols, strict=True))), modules="mpmath")
    with mpmath.workdps(60):
        exact = [sympy.Rational(sympy.nsimplify(values[k])) for k in keys]
        point = [mpmath.mpf(r.p) / r.q for r in exact]
        step = mpmath.mpf(10) ** -25
        grads = {}
        for i, k in enumerate(keys):
            up, down = list(point), list(point)
            up[i] += step
            down[i] -= step
            grads[k] = float((loss(*up) - loss(*down)) / (2 * step))
        return grads


MP_ACTIVATIONS = {
    "sigmoid": lambda z: 1 / (1 + mpmath.exp(-z)),
    "tanh": mpmath.tanh,
    "relu": lambda z: z if z > 0 else mpmath.mpf(0),
    "leaky_relu": lambda z: z if z > 0 else z / 100,
    "softplus": lambda z: mpmath.log(1 + mpmath.exp(z)),
    "identity": lambda z: z,
}


def vector_loss(x, g, params, h0, activation="tanh", kind="mse"):
    """A vector RNN's loss in 40-digit arithmetic, written with plain lists (no NumPy, no rnncalc).

    o_t = Wi x_{t-1} + Wh h_{t-1} + b, h_t = act(o_t), y_t = a h_t + c; g: rows of K targets, or class
    indices for softmax-ce (None for a step without a target); mse and softmax-ce divide by the number of
    targets, half-sse by 2.
    """
    mp = mpmath.mp
    mp.dps = 40
    f = MP_ACTIVATIONS[activation]
    Wi, Wh, b, a, c = (params[k] for k in ("Wi", "Wh", "b", "a", "c"))

    def matvec(m, v):
        return [mpmath.fsum(mpmath.mpf(m_ij) * v_j for m_ij, v_j in zip(row, v)) for row in m]

    h = [mpmath.mpf(v) for v in h0]
    total = mpmath.mpf(0)
    n = sum(target is not None for target in g)
    for t in range(len(x)):
        o = [p + q + mpmath.mpf(r) for p, q, r in zip(matvec(Wi, x[t]), matvec(Wh, h), b)]
        h = [f(v) for v in o]
        y = [p + mpmath.mpf(q) for p, q in zip(matvec(a, h), c)]
        if g[t] is None:
            continue
        if kind == "softmax-ce":
            top = max(y)
            log_sum = top + mpmath.log(mpmath.fsum(mpmath.exp(v - top) for v in y))
            total += (log_sum - y[int(g[t])]) / n
        else:
            squared = mpmath.fsum((yk - mpmath.mpf(gk)) ** 2 for yk, gk in zip(y, g[t]))
            total += squared * {"mse": mpmath.mpf(1) / n, "sse": 1, "half-sse": mpmath.mpf(1) / 2}[kind]
    return total


def vector_gradients(x, g, params, h0, activation="tanh", kind="mse", step=1e-12):
    """Every entry's gradient by central differences of ``vector_loss`` (40 digits, so a tiny step)."""
    mpmath.mp.dps = 40
    values = {
        k: [list(map(mpmath.mpf, row)) if isinstance(row, list) else mpmath.mpf(row) for row in v]
        for k, v in {**params, "h0": h0}.items()
    }
    result = {}
    for name, value in values.items():
        grads = []
        for i, row in enumerate(value):
            entries = row if isinstance(row, list) else [row]
            row_grads = []
            for j in range(len(entries)):

                def bumped(delta, name=name, i=i, j=j):
                    copy = {k: [list(r) if isinstance(r, list) else r for r in v] for k, v in values.items()}
                    if isinstance(copy[name][i], list):
                        copy[name][i][j] += delta
                    else:
                        copy[name][i] += delta
                    ps = {k: copy[k] for k in ("Wi", "Wh", "b", "a", "c")}
                    return vector_loss(x, g, ps, copy["h0"], activation, kind)

                row_grads.append(float((bumped(step) - bumped(-step)) / (2 * step)))
            grads.append(row_grads if isinstance(row, list) else row_grads[0])
        result[name] = grads
    return result


def thsis_notebook_gradients(h, x, y_hat, params) -> tuple[list[float], list[float]]:
    """The notebook's own (wrong) formula: flipped sign, one path only, element-wise 'Jacobians'."""
    w = (params["w1"], params["w2"])
    U = ((params["U11"], params["U12"]), (params["U21"], params["U22"]))
    dtanh = [[1 - v**2 for v in hs] for hs in h]

    def row_times_u(row):  # numpy's row.dot(U): a row vector where diag(tanh')·U belongs
        return [sum(row[i] * U[i][j] for i in range(2)) for j in range(2)]

    dloss = 7 - y_hat  # the notebook's sign: dL/dŷ = ŷ - 7 for ½(ŷ - 7)²
    dh3_dh2, dh2_dh1 = row_times_u(dtanh[2]), row_times_u(dtanh[1])
    dW = [dloss * w[j] * dh3_dh2[j] * dh2_dh1[j] * dtanh[0][j] * x[0] for j in range(2)]  # step 1 only
    dh2_dU = sum(dtanh[1][i] * h[0][i] for i in range(2))
    dU = [dloss * w[j] * dh3_dh2[j] * dh2_dU for j in range(2)]  # the step-2 term only
    return dW, dU


def central_differences(loss, values):
    """dL/d(every entry of every array in ``values``) by central differences of ``loss(values)``."""
    import numpy as np

    grads = {}
    for key, value in values.items():
        grad = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            up, down = ({k: v.copy() for k, v in values.items()} for _ in range(2))
            up[key][index] += 1e-6
            down[key][index] -= 1e-6
            grad[index] = (loss(up) - loss(down)) / 2e-6
        grads[key] = grad
    return grads


def assert_gradients(derivation, expected, inputs="x"):
    """Every gradient (and dL/d``inputs``) of a derivation within 1e-6 of the expected arrays."""
    import numpy as np

    for key, value in expected.items():
        got = derivation.input_gradients[inputs] if key == inputs else derivation.gradients[key]
        np.testing.assert_allclose(np.asarray(got, dtype=float), value, rtol=1e-6, atol=1e-8, err_msg=key)


def close(value: float, published: str) -> bool:
    """The value rounds to the published digits (half a unit in the last published place)."""
    places = len(published.partition(".")[2])
    return abs(value - float(published)) <= 0.5 * 10.0**-places * (1 + 1e-9)


def _sigmoid(z):
    """The logistic function on NumPy arrays."""
    import numpy as np

    return 1 / (1 + np.exp(-z))


def dlai_lstm_loss(v, da):
    """deeplearning.ai's lstm_forward: x (n_x, m, T_x), a0 (n_a, m), gates on [a_prev; x]; L = Σ da ⊙ a."""
    import numpy as np

    a, c, total = v["a0"], np.zeros_like(v["a0"]), 0.0
    for t in range(v["x"].shape[2]):
        concat = np.concatenate([a, v["x"][:, :, t]])
        f = _sigmoid(v["Wf"] @ concat + v["bf"])
        i = _sigmoid(v["Wi"] @ concat + v["bi"])
        cc = np.tanh(v["Wc"] @ concat + v["bc"])
        c = f * c + i * cc
        o = _sigmoid(v["Wo"] @ concat + v["bo"])
        a = o * np.tanh(c)
        total += np.sum(da[:, :, t] * a)
    return total
