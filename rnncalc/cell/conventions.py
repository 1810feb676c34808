"""Course conventions, one record each: a course's cells written with its own names and layout, how it
stacks gated weights, where it puts the batch axis and how it adds up a batch's losses.

A convention's cells end in ``y = h`` (the state itself is the output): the courses' backward functions
start from an upstream gradient dL/dh_t (``--upstream``), or a target for each state is given. The
candidate the courses call g (LSTM) or n (PyTorch's GRU) is written cc or hc: g names the targets and n
the number of steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .stacking import PYTORCH, RNNCALC, Stacking, stacked_equations


@dataclass(frozen=True)
class Fused:
    """A course's stacked parameter (CS231n's Wx of shape D×4H): the cell's parts side by side along
    ``axis``, each as wide as its size symbol (H, or D for deeplearning.ai's [a_prev; x])."""

    name: str
    parts: tuple[str, ...]
    axis: int
    sizes: tuple[str, ...]


@dataclass(frozen=True)
class CourseCell:
    """One of a course's cells: its equations in the course's names, and its stacked parameters."""

    equations: tuple[str, ...]
    fused: tuple[Fused, ...] = ()


@dataclass(frozen=True)
class Convention:
    """How one course writes its recurrent networks.

    ``batch``: the axes of x as the course gives a mini-batch, N (sequences), T (steps), D (inputs);
    ``state``: the name of the hidden state (h, or a for deeplearning.ai); ``reduce_batch``: how the
    sequences' losses are added up; ``columns``: biases given as columns (n_a × 1) rather than vectors;
    ``layer_axis``: initial states carry a leading axis of layers (PyTorch's h0 is layers × N × H);
    ``stacking``: how the course names stacked layers' parameters (None: it writes one layer only);
    ``rows``: vectors are rows (x · Wx), so derivations are shown with row vectors; ``reduce_time``: how
    the course's loss adds up its steps, when a loss (not upstream gradients) is given (None: the loss's).
    """

    name: str
    about: str
    source: str
    batch: str
    state: str
    reduce_batch: str
    cells: dict[str, CourseCell] = field(default_factory=dict)
    columns: bool = False
    layer_axis: bool = False
    stacking: Stacking | None = None
    rows: bool = False
    reduce_time: str | None = None


def layered(cell: CourseCell, layers: int, stacking: Stacking) -> CourseCell:
    """A course's cell stacked ``layers`` deep: every layer's equations and stacked weights
    (weight_ih_l0, weight_ih_l1, ...) in the course's names."""
    fused = tuple(
        replace(
            part,
            name=stacking.parameter(part.name.removesuffix("_l0"), layer),
            parts=tuple(stacking.parameter(p, layer) for p in part.parts),
        )
        for layer in range(1, layers + 1)
        for part in cell.fused
    )
    return CourseCell(stacked_equations(cell.equations, layers, stacking), fused)


def _gates(name: str, gates: str, axis: int, size: str = "H") -> Fused:
    """A weight of every gate stacked: name → name_i, name_f, ... in the course's gate order."""
    return Fused(name, tuple(f"{name}_{g}" for g in gates.split()), axis, tuple(size for _ in gates.split()))


CONVENTIONS: dict[str, Convention] = {
    c.name: c
    for c in (
        Convention(
            "rnncalc",
            "rnncalc's own: column vectors, h = tanh(Wi·x + Wh·h_prev + b), x as (N, T, D)",
            "this project (docs/vectors.md)",
            "NTD",
            "h",
            "mean",
            stacking=RNNCALC,
        ),
        Convention(
            "cs231n",
            "Stanford CS231n assignment 3: row vectors x·Wx (Wx is D×H), x as (N, T, D); the LSTM's Wx "
            "(D×4H), Wh (H×4H) and b (4H) stack the gates i, f, o, g",
            "cs231n.github.io, assignment 3 (rnn_layers.py)",
            "NTD",
            "h",
            "sum",
            {
                "elman": CourseCell(("h = tanh(x*Wx + h_prev*Wh + b)", "y = h")),
                "lstm": CourseCell(
                    (
                        "i = sigmoid(x*Wx_i + h_prev*Wh_i + b_i)",
                        "f = sigmoid(x*Wx_f + h_prev*Wh_f + b_f)",
                        "o = sigmoid(x*Wx_o + h_prev*Wh_o + b_o)",
                        "cc = tanh(x*Wx_g + h_prev*Wh_g + b_g)",
                        "c = f*c_prev + i*cc",
                        "h = o*tanh(c)",
                        "y = h",
                    ),
                    (_gates("Wx", "i f o g", 1), _gates("Wh", "i f o g", 1), _gates("b", "i f o g", 0)),
                ),
            },
            rows=True,
            reduce_time="sum",
        ),
        Convention(
            "pytorch",
            "PyTorch nn.RNN, nn.GRU, nn.LSTM: W_ih·x + b_ih + W_hh·h + b_hh with the state_dict's "
            "weight_ih_l0 (gates stacked: GRU r, z, n; LSTM i, f, g, o), x as (T, N, D)",
            "pytorch.org/docs (torch.nn.RNN, GRU, LSTM)",
            "TND",
            "h",
            "mean",
            {
                "elman": CourseCell(
                    ("h = tanh(W_ih*x + b_ih + W_hh*h_prev + b_hh)", "y = h"),
                    (
                        Fused("weight_ih_l0", ("W_ih",), 0, ("H",)),
                        Fused("weight_hh_l0", ("W_hh",), 0, ("H",)),
                        Fused("bias_ih_l0", ("b_ih",), 0, ("H",)),
                        Fused("bias_hh_l0", ("b_hh",), 0, ("H",)),
                    ),
                ),
                "gru": CourseCell(
                    (
                        "r = sigmoid(W_ir*x + b_ir + W_hr*h_prev + b_hr)",
                        "z = sigmoid(W_iz*x + b_iz + W_hz*h_prev + b_hz)",
                        "hc = tanh(W_in*x + b_in + r*(W_hn*h_prev + b_hn))",
                        "h = (1 - z)*hc + z*h_prev",
                        "y = h",
                    ),
                    (
                        Fused("weight_ih_l0", ("W_ir", "W_iz", "W_in"), 0, ("H", "H", "H")),
                        Fused("weight_hh_l0", ("W_hr", "W_hz", "W_hn"), 0, ("H", "H", "H")),
                        Fused("bias_ih_l0", ("b_ir", "b_iz", "b_in"), 0, ("H", "H", "H")),
                        Fused("bias_hh_l0", ("b_hr", "b_hz", "b_hn"), 0, ("H", "H", "H")),
                    ),
                ),
                "lstm": CourseCell(
                    (
                        "i = sigmoid(W_ii*x + b_ii + W_hi*h_prev + b_hi)",
                        "f = sigmoid(W_if*x + b_if + W_hf*h_prev + b_hf)",
                        "cc = tanh(W_ig*x + b_ig + W_hg*h_prev + b_hg)",
                        "o = sigmoid(W_io*x + b_io + W_ho*h_prev + b_ho)",
                        "c = f*c_prev + i*cc",
                        "h = o*tanh(c)",
                        "y = h",
                    ),
                    (
                        Fused("weight_ih_l0", ("W_ii", "W_if", "W_ig", "W_io"), 0, ("H",) * 4),
                        Fused("weight_hh_l0", ("W_hi", "W_hf", "W_hg", "W_ho"), 0, ("H",) * 4),
                        Fused("bias_ih_l0", ("b_ii", "b_if", "b_ig", "b_io"), 0, ("H",) * 4),
                        Fused("bias_hh_l0", ("b_hi", "b_hf", "b_hg", "b_ho"), 0, ("H",) * 4),
                    ),
                ),
            },
            layer_axis=True,
            stacking=PYTORCH,
            reduce_time="mean",
        ),
        Convention(
            "d2l",
            "Dive into Deep Learning (d2l.ai) from scratch: row vectors X·W_xh + H·W_hh + b_h, the GRU's "
            "H = Z ⊙ H_prev + (1 - Z) ⊙ H̃, x as (T, N, D) (its states H and C are written h and c)",
            "d2l.ai, chapters 9.5 (RNN), 10.1 (LSTM) and 10.2 (GRU), from-scratch implementations",
            "TND",
            "h",
            "mean",
            {
                "elman": CourseCell(("h = tanh(x*W_xh + h_prev*W_hh + b_h)", "y = h")),
                "gru": CourseCell(
                    (
                        "r = sigmoid(x*W_xr + h_prev*W_hr + b_r)",
                        "z = sigmoid(x*W_xz + h_prev*W_hz + b_z)",
                        "hc = tanh(x*W_xh + (r*h_prev)*W_hh + b_h)",
                        "h = z*h_prev + (1 - z)*hc",
                        "y = h",
                    )
                ),
                "lstm": CourseCell(
                    (
                        "i = sigmoid(x*W_xi + h_prev*W_hi + b_i)",
                        "f = sigmoid(x*W_xf + h_prev*W_hf + b_f)",
                        "o = sigmoid(x*W_xo + h_prev*W_ho + b_o)",
                        "cc = tanh(x*W_xc + h_prev*W_hc + b_c)",
                        "c = f*c_prev + i*cc",
                        "h = o*tanh(c)",
                        "y = h",
                    )
                ),
            },
            rows=True,
            reduce_time="mean",
        ),
        Convention(
            "dlai",
            "deeplearning.ai Sequence Models: column vectors, the state a, Waa·a_prev + Wax·x + ba; the "
            "LSTM's gates act on [a_prev; x] (Wf is n_a × (n_a + n_x)); x as (n_x, m, T_x), biases n_a × 1",
            "deeplearning.ai course 5 week 1, Building your Recurrent Neural Network - Step by Step",
            "DNT",
            "a",
            "sum",
            {
                "elman": CourseCell(("a = tanh(Waa*a_prev + Wax*x + ba)", "y = a")),
                "lstm": CourseCell(
                    (
                        "f = sigmoid(Wf_a*a_prev + Wf_x*x + bf)",
                        "i = sigmoid(Wi_a*a_prev + Wi_x*x + bi)",
                        "cc = tanh(Wc_a*a_prev + Wc_x*x + bc)",
                        "c = f*c_prev + i*cc",
                        "o = sigmoid(Wo_a*a_prev + Wo_x*x + bo)",
                        "a = o*tanh(c)",
                        "y = a",
                    ),
                    tuple(Fused(w, (f"{w}_a", f"{w}_x"), 1, ("H", "D")) for w in ("Wf", "Wi", "Wc", "Wo")),
                ),
            },
            columns=True,
            reduce_time="sum",
        ),
    )
}
