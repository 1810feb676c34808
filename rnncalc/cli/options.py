"""The options every command shares, declared once and injected into each command's signature."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable
from enum import Enum
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from ..cell.conventions import CONVENTIONS
from ..cell.functions import ACTIVATIONS, CELL_FUNCTIONS
from ..cell.losses import LOSSES, VECTOR_ONLY_LOSSES
from ..cell.presets import PRESETS
from ..compute.batch import REDUCTIONS
from ..compute.problem import MAX_DIGITS, NO_TARGET, Problem, Settings
from ..errors import InputError
from ..files import refuse_overwriting
from ..numbers import looks_like_number, parse_number, parse_values, shown
from ..render import FORMATS, MARKDOWN_FLAVORS

ActivationName = Enum("ActivationName", {name: name for name in ACTIVATIONS}, type=str)  # type: ignore[misc]
LossName = Enum("LossName", {name: name for name in (*LOSSES, *VECTOR_ONLY_LOSSES)}, type=str)  # type: ignore[misc]
FlavorName = Enum("FlavorName", {name: name for name in MARKDOWN_FLAVORS}, type=str)  # type: ignore[misc]
FormatName = Enum("FormatName", {name: name for name in FORMATS}, type=str)  # type: ignore[misc]

MethodName = Enum("MethodName", {name: name for name in ("forward", "backward", "both")}, type=str)  # type: ignore[misc]
BatchReduction = Enum("BatchReduction", {name: name for name in REDUCTIONS}, type=str)  # type: ignore[misc]
ConventionName = Enum("ConventionName", {name: name for name in CONVENTIONS}, type=str)  # type: ignore[misc]
QuizFormat = Enum("QuizFormat", {"moodle": "moodle"}, type=str)
"""What a quiz is exported as: the course site's question bank."""
OptimizerName = Enum("OptimizerName", {name: name for name in ("sgd", "momentum", "adam")}, type=str)  # type: ignore[misc]
BLANK_MODES = ("values", "rules", "both")
BlankMode = Enum("BlankMode", {name: name for name in BLANK_MODES}, type=str)  # type: ignore[misc]
GraphFormat = Enum("GraphFormat", {name: name for name in ("dot", "rich", "json")}, type=str)  # type: ignore[misc]
SEQUENCE_OPTIONS = ("--x", "--g")
PROBLEM, PARAMETERS, CELL, METHOD, OUTPUT = "Problem", "Parameters", "Cell", "Method", "Output"
PANELS = (PROBLEM, PARAMETERS, CELL, METHOD, OUTPUT)
"""The help's panels, in order; options a command adds itself come first, under Options."""


def _option(kind: Any, flags: str, help_text: str, panel: str, default: Any = None, **extra: Any) -> Any:
    """One shared option: its type, its flags ("--x" or "--color/--no-color"), help, panel and default."""
    return Annotated[
        kind, typer.Option(*flags.split(), help=help_text, rich_help_panel=panel, **extra)
    ], default


def _number(flag: str, help_text: str) -> Any:
    """A numeric option typed as text, so fractions and exact decimals survive."""
    return _option(Optional[str], flag, help_text, PARAMETERS, metavar="NUM")


SHARED: dict[str, tuple[Any, Any]] = {
    "x": _option(
        Optional[list[str]],
        "--x",
        "Inputs x_0 .. x_{n-1}: --x 1 0, --x 1 --x 0 or --x 1,0. Default: 1 0.",
        PROBLEM,
        metavar="NUM...",
    ),
    "g": _option(
        Optional[list[str]],
        "--g",
        "Targets g_1 .. g_n, written like --x; _ for a step without a target (--g _ _ 0.7: many-to-one). "
        "Default: all 1.",
        PROBLEM,
        metavar="NUM...",
    ),
    "loss": _option(
        Optional[LossName],
        "--loss",
        "; ".join(f"{name}: {loss.text}" for name, loss in LOSSES.items()) + ". Default: mse.",
        PROBLEM,
    ),
    "config": _option(
        Optional[Path],
        "--config",
        "Read the problem from a TOML file (rnncalc init writes one; - reads stdin); options given here "
        "override it.",
        PROBLEM,
        metavar="FILE",
        dir_okay=False,
    ),
    "h0": _number("--h0", "Initial state h_0. Default: 0."),
    "wi": _number("--wi", "Input weight W_i. Default: 1."),
    "wh": _number("--wh", "Recurrent weight W_h. Default: 1."),
    "a": _number("--a", "Output weight a. Default: 1."),
    "b": _number("--b", "State bias b. Default: 1."),
    "c": _number("--c", "Output bias c. Default: 1."),
    "param": _option(
        Optional[list[str]],
        "--param",
        "A parameter value, NAME=NUMBER (repeatable); parameters not given are 1.",
        PARAMETERS,
        metavar="NAME=NUM",
    ),
    "activation": _option(
        Optional[ActivationName],
        "--activation",
        "Activation of the state: "
        + "; ".join(f"{name}: {f.about}" for name, f in ACTIVATIONS.items())
        + ". Default: sigmoid.",
        CELL,
    ),
    "cell": _option(
        Optional[list[str]],
        "--cell",
        "Your own cell, one equation NAME = EXPR per --cell, evaluated in order each step; it must define y. "
        "NAME_prev is NAME at the step before (a state: h_prev, s_prev, y_prev); other names are inputs "
        f"(x, --input) or parameters. Functions: {' '.join(CELL_FUNCTIONS)}.",
        CELL,
        metavar="EQUATION",
    ),
    "preset": _option(
        Optional[str],
        "--preset",
        f"A ready cell with documented parameters and defaults: {', '.join(PRESETS)} "
        "(rnncalc cells lists them).",
        CELL,
        metavar="NAME",
        autocompletion=lambda incomplete: [name for name in PRESETS if name.startswith(incomplete)],
    ),
    "layers": _option(
        Optional[int],
        "--layers",
        "Stack L layers of the cell (the built-in one, a --preset or your --cell): layer l + 1 reads layer "
        "l's state h where layer 1 reads x; layer l's names end in l (Wi2, h2).",
        CELL,
        metavar="L",
    ),
    "bidirectional": _option(
        bool,
        "--bidirectional",
        "With --convention pytorch: a second direction reads x backwards (its names end in b: hb; its "
        "parameters in _reverse); --upstream gives dL/d[h_t; hb_t] (2H), as PyTorch's output.",
        CELL,
        False,
    ),
    "init": _option(
        Optional[list[str]],
        "--init",
        "A state's initial value, NAME=NUMBER (repeatable): --init s=0.1, --init y=0.5. Default: 0; "
        "--h0 V is --init h=V.",
        PARAMETERS,
        metavar="NAME=NUM",
    ),
    "convention": _option(
        Optional[ConventionName],
        "--convention",
        "Write the problem as a course does: its cell for --preset elman, gru or lstm in its own names and "
        "layout, its stacked weights, its batch axes (rnncalc conventions lists them). Default: rnncalc.",
        CELL,
    ),
    "upstream": _option(
        Optional[list[str]],
        "--upstream",
        "Upstream gradients dL/dy_t instead of a loss, as a course's backward function takes them (with "
        "--convention, y is the state h: dL/dh_t), shaped like the targets; STATE=VALUES per state "
        "(--upstream h=[...] --upstream c=[...]) for a course's dnext_h and dnext_c.",
        PROBLEM,
        metavar="VALUES",
    ),
    "sequence": _option(
        Optional[int],
        "--sequence",
        "In a mini-batch (x nested three deep), the sequence derived in full (default 1); the batch's sums "
        "follow it.",
        PROBLEM,
        metavar="K",
    ),
    "reduce_batch": _option(
        Optional[BatchReduction],
        "--reduce-batch",
        "In a mini-batch, the loss is the mean (default) or the sum of the sequences' losses.",
        PROBLEM,
    ),
    "reduce_time": _option(
        Optional[BatchReduction],
        "--reduce-time",
        "The loss is the mean or the sum of the steps' losses. Default: as the loss says (mse, bce and "
        "softmax-ce: mean; sse, half-sse: sum), or as --convention's course does.",
        PROBLEM,
    ),
    "input": _option(
        Optional[list[str]],
        "--input",
        "A further input stream, NAME=V1,V2,... (repeatable, n values each); step t reads NAME_{t-1}.",
        PROBLEM,
        metavar="NAME=NUM,...",
    ),
    "loss_term": _option(
        Optional[str],
        "--loss-term",
        'Your own loss term in y and g, summed over the steps with a target: --loss-term "abs(y - g)".',
        PROBLEM,
        metavar="EXPR",
    ),
    "per_step": _option(
        bool,
        "--per-step",
        "Also show each step's share dL_t/dθ of every gradient on a line of its own (implies --show-steps).",
        METHOD,
        False,
    ),
    "flow": _option(
        bool,
        "--flow",
        "Show the gradient through time: ∂h_n/∂h_k for every k with a bar chart, each step's share of "
        "every gradient, and whether it vanishes or explodes (implies --show-steps).",
        METHOD,
        False,
    ),
    "truncate": _option(
        Optional[int],
        "--truncate",
        "Truncated BPTT: each loss term's gradient keeps the uses of a parameter at its own step and the "
        "K - 1 before (d2l's truncated sum), shown next to the full gradient.",
        METHOD,
        metavar="K",
    ),
    "chunked": _option(
        bool,
        "--chunked",
        "With --truncate K: chunks of K steps, the state carried across and the gradient stopped at each "
        "chunk's start, as a training loop's detach() does.",
        METHOD,
        False,
    ),
    "round_intermediate": _option(
        bool,
        "--round-intermediate",
        "Hand-calculation mode: round every named quantity to --digits and go on from the rounded values.",
        METHOD,
        False,
    ),
    "exact": _option(
        bool,
        "--exact",
        "Also show the exact SymPy value of each quantity (implies --show-steps).",
        METHOD,
        False,
    ),
    "blank": _option(
        Optional[BlankMode],
        "--blank",
        "Exercise sheet: leave blank every computed value (--blank, --blank values), every rule "
        "(--blank rules: the values given, the chain-rule products to write) or both (implies --show-steps).",
        METHOD,
        None,
        metavar="[values|rules|both]",
    ),
    "explain": _option(
        bool,
        "--explain",
        "A short note in plain words under every line: why it exists, which path through time it follows "
        "(implies --show-steps).",
        METHOD,
        False,
    ),
    "answers": _option(
        bool,
        "--answers",
        "Answer key: the full derivation, titled as the key to a --blank sheet, each named quantity rounded "
        "to --digits and the next line worked from it, as the sheet asks (implies --show-steps).",
        METHOD,
        False,
    ),
    "digits": _option(
        Optional[int], "--digits", f"Decimal places shown (0..{MAX_DIGITS}). Default: 6.", OUTPUT, metavar="N"
    ),
    "format": _option(
        Optional[FormatName],
        "--format -f",
        "Output format. Default: from the -o extension, else rich.",
        OUTPUT,
    ),
    "output": _option(
        Optional[Path],
        "--output -o",
        "Write to this file (format from its extension; - is stdout); an existing file is replaced only "
        "when the write succeeds.",
        OUTPUT,
        metavar="FILE",
        dir_okay=False,
    ),
    "force": _option(
        bool,
        "--force",
        "Replace a read-only output file (others are replaced anyway, safely).",
        OUTPUT,
        False,
    ),
    "quiet": _option(
        bool,
        "--quiet -q",
        "No confirmation on stderr when -o writes a file.",
        OUTPUT,
        False,
    ),
    "all_steps": _option(
        bool,
        "--all-steps",
        "Terminal: show every step of sequences longer than 20 (files always get every step; implies "
        "--show-steps).",
        OUTPUT,
        False,
    ),
    "fragment": _option(
        bool,
        "--fragment",
        "LaTeX: only the body, to \\input into a larger document (needs amsmath).",
        OUTPUT,
        False,
    ),
    "markdown_flavor": _option(
        Optional[FlavorName],
        "--markdown-flavor",
        "Markdown math: github (```math blocks, the default) or generic ($$, for MkDocs, Jupyter, Pandoc).",
        OUTPUT,
    ),
    "color": _option(
        Optional[bool],
        "--color/--no-color",
        "Colour on or off (default: on a terminal; NO_COLOR and FORCE_COLOR are honoured).",
        OUTPUT,
    ),
    "pager": _option(
        Optional[bool],
        "--pager/--no-pager",
        "Page long terminal output through $PAGER (default: when taller than the screen).",
        OUTPUT,
    ),
    "ascii": _option(
        bool,
        "--ascii",
        "Plain ASCII: sigma for σ, * for ·; chosen by itself when stdout cannot show them.",
        OUTPUT,
        False,
    ),
    "width": _option(
        Optional[int],
        "--width",
        "Wrap text output at N columns (before = + ·, never inside a number); 0: do not wrap. Default: "
        "the terminal's width, or COLUMNS (else 80) in a pipe or file.",
        OUTPUT,
        metavar="N",
        min=0,
    ),
}


if typing.TYPE_CHECKING:

    class SharedOptions:
        """For type checkers: the shared options as attributes (made from SHARED at run time, below)."""

        def __init__(self, **values: Any) -> None: ...

        def __getattr__(self, name: str) -> Any: ...

else:
    SharedOptions = dataclasses.make_dataclass(
        "SharedOptions",
        [
            (name, typing.get_args(annotation)[0], dataclasses.field(default=default))
            for name, (annotation, default) in SHARED.items()
        ]
        + [("method", Optional[MethodName], dataclasses.field(default=None))],
        frozen=True,
    )
    SharedOptions.__doc__ = "The options every command shares, typed; --config is merged into them once."

SHORTCUTS = (("Wi", "wi"), ("Wh", "wh"), ("a", "a"), ("b", "b"), ("c", "c"))
TRUNCATION = ("truncate", "chunked")
"""Options of the gradient itself: grads, check and train take them."""
DERIVATION_ONLY = (
    "per_step",
    "flow",
    "round_intermediate",
    "exact",
    "fragment",
    "markdown_flavor",
    "all_steps",
    "blank",
    "answers",
    "explain",
)


def with_shared_options(exclude: tuple[str, ...] = ()) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add the shared options (less ``exclude``) to a command; it receives them as one ``SharedOptions``."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        """The command with the shared options in its signature."""
        signature = inspect.signature(command, eval_str=True)
        own = [p for name, p in signature.parameters.items() if name != "options"]
        offered = {name: spec for name, spec in SHARED.items() if name not in exclude}
        shared = [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
            for name, (annotation, default) in offered.items()
        ]

        @functools.wraps(command)
        def wrapper(**kwargs: Any) -> Any:
            options = SharedOptions(**{name: kwargs.pop(name) for name in offered})
            if options.output == Path("-"):  # -o - is stdout, as in every Unix tool
                options = dataclasses.replace(options, output=None)  # type: ignore[type-var]  # a dataclass at run time
            refuse_overwriting(options.output, options.config)
            return command(options=with_config(options), **kwargs)

        wrapper.__signature__ = signature.replace(parameters=[*own, *shared])  # type: ignore[attr-defined]
        del wrapper.__wrapped__  # typer must see the new signature, not the original
        return wrapper

    return decorate


def expand_sequences(args: list[str]) -> list[str]:
    """Rewrite ``--x 1 0`` as ``--x 1,0``: every further number after --x or --g belongs to it.

    One token per flag keeps the option parser linear for very long sequences.
    """
    expanded: list[str] = []
    values: list[str] | None = None
    for index, arg in enumerate(args):
        if values is not None and (not values or looks_like_number(arg) or _open_bracket(values, arg)):
            values.append(arg)
            continue
        if values is not None:
            expanded.append(_joined(values))
            values = None
        if arg == "--":
            return expanded + args[index:]
        expanded.append(arg)
        if arg in SEQUENCE_OPTIONS:
            values = []
        elif arg == "--blank" and (index + 1 == len(args) or args[index + 1].startswith("-")):
            expanded.append("values")  # a bare --blank is a sheet of values to fill in
    if values:
        expanded.append(_joined(values))
    return expanded


def _joined(values: list[str]) -> str:
    """The words of one list option as one value: 1,0 for numbers, the words themselves for brackets."""
    return " ".join(values) if values and values[0].lstrip().startswith("[") else ",".join(values)


def _open_bracket(values: list[str], word: str) -> bool:
    """True while the words after --x so far open more [ than they close (--x [[1, 2], [0, 1]] unquoted)
    and the next word is not an option."""
    text = " ".join(values)
    return text.lstrip().startswith("[") and text.count("[") > text.count("]") and not word.startswith("--")


def with_config(options: Any) -> Any:
    """The options, filled in from --config (read once) where the command line left them unset."""
    if options.config is None:
        return options
    from ..features.problem_file import load

    return with_problem(options, load(options.config))


PROBLEM_OPTIONS: tuple[str, ...] = (
    "x", "g", "h0", "wi", "wh", "a", "b", "c", "param", "activation", "loss", "cell", "preset"
)  # fmt: skip
PROBLEM_OPTIONS += (
    "init",
    "input",
    "loss_term",
    "config",
    "convention",
    "upstream",
    "layers",
    "bidirectional",
)


def names_a_problem(options: Any) -> bool:
    """True when the options say which problem is meant (any problem option, or --config)."""
    return any(getattr(options, name, None) not in (None, False, [], ()) for name in PROBLEM_OPTIONS)


OVERRIDDEN_BY = {
    "loss": ("loss_term",),
    "loss_term": ("loss",),
    "cell": ("preset", "activation"),
    "activation": ("preset", "cell"),
    "preset": ("cell", "activation"),
}
"""A problem file's key is left out when the command line gives an option it would conflict with."""


def with_problem(options: Any, table: dict[str, Any]) -> Any:
    """The options, filled in from a checked problem table where they are unset."""
    merged = dataclasses.asdict(options)
    for key, value in table.items():
        if any(getattr(options, flag, None) for flag in OVERRIDDEN_BY.get(key, ())):
            continue  # the command line's --loss replaces the file's loss_term, --preset its cell, ...
        target = {"params": "param", "inputs": "input"}.get(key, key)
        if key == "activation":
            value = _choice(ActivationName, value, key)
        elif key == "loss":
            value = _choice(LossName, value, key)
        elif key == "method":
            value = _choice(MethodName, value, key)
        elif key in ("reduce_batch", "reduce_time"):
            value = _choice(BatchReduction, value, key)
        elif key == "convention":
            value = _choice(ConventionName, value, key)
        current = merged.get(target)
        if key == "params":
            given = {item.partition("=")[0].strip() for item in current or []}
            given |= {name for name, flag in SHORTCUTS if getattr(options, flag) is not None}
            merged[target] = [*(current or []), *(v for v in value if v.partition("=")[0] not in given)]
        elif current is None or current is False:
            merged[target] = value
    return dataclasses.replace(options, **merged)


def _choice(kind: Any, value: str, key: str) -> Any:
    """A config value that must be one of an option's choices."""
    try:
        return kind(value)
    except ValueError:
        raise InputError(
            f"--config: {key} must be one of {', '.join(m.value for m in kind)}, got {value!r}"
        ) from None


def _named(items: list[str] | None, flag: str, form: str, parse: Any) -> dict[str, Any]:
    """NAME=VALUE items as a dict, each name once, each value read by ``parse(text, label)``."""
    result: dict[str, Any] = {}
    for item in items or []:
        name, sign, value = item.partition("=")
        name = name.strip()
        if sign and any(ch.isspace() for ch in name):
            raise InputError(f"{flag} {shown(item)}: a name has no spaces; write {form.format(flag=flag)}")
        if not sign or not name:
            raise InputError(f"{flag} {shown(item)}: write {form.format(flag=flag)}")
        if name in result:
            raise InputError(f"{flag} {name} is given twice")
        if flag == "--input" and name == "x":
            raise InputError("--input x is given twice (x comes from --x)")
        result[name] = parse(value, f"{flag} {name}")
    return result


def _named_numbers(items: list[str] | None, flag: str) -> dict[str, Fraction]:
    """NAME=NUMBER items as a dict (each name once)."""
    return _named(items, flag, "NAME=NUMBER, e.g. {flag} s=0.5", parse_number)


def _streams(items: list[str] | None) -> dict[str, tuple[Fraction, ...]]:
    """--input NAME=V1,V2,... items as named sequences."""
    return _named(
        items,
        "--input",
        "NAME=V1,V2,..., e.g. --input x2=2,3",
        lambda text, label: tuple(parse_values([text], label) or ()),
    )


def _tensor(text: str, label: str) -> Any:
    """A number, vector or matrix (or one per sequence of a batch) in bracket notation."""
    from ..tensor import parse_tensor

    return parse_tensor(text, label, depth=3)


def _shared_args(options: Any) -> dict[str, Any]:
    """What scalar and vector problems read alike: the loss, the cell (preset, equations or activation)."""
    args: dict[str, Any] = {"loss": (options.loss or LossName("mse")).value}
    if options.loss_term is not None:
        if options.loss is not None:
            raise InputError("--loss and --loss-term conflict: --loss-term is the loss")
        args["loss_term"] = options.loss_term
    if options.preset is not None:
        if options.cell or options.activation is not None:
            raise InputError("--preset and --cell or --activation conflict: a preset is a whole cell")
        args["preset"] = options.preset
    if options.cell:
        if options.activation is not None:
            raise InputError(
                "--activation and --cell conflict: write the activation into the cell (h = tanh(o))"
            )
        args["cell"] = tuple(options.cell)
    elif options.activation is not None:
        args["activation"] = options.activation.value
    if options.layers is not None:
        args["layers"] = options.layers
    if options.reduce_time is not None:
        args["reduce_time"] = options.reduce_time.value
    if options.bidirectional:
        args["bidirectional"] = True
    if options.convention is not None:
        if options.activation is not None or options.cell:
            raise InputError(
                "--convention gives the cell: choose it with --preset, not --activation or --cell"
            )
        args["convention"] = options.convention.value
    if options.upstream and options.loss is not None:
        raise InputError("--upstream and --loss conflict: the upstream gradients take the place of a loss")
    per_state = [item for item in options.upstream or [] if "=" in item]
    if per_state and options.convention is None:
        raise InputError(
            "--upstream STATE=...: upstream gradients of states need a --convention (cs231n, ...)"
        )
    if per_state and len(per_state) < len(options.upstream):
        raise InputError("--upstream: give one array, or STATE=VALUES for each state, not both")
    if options.upstream and all("=" in item for item in options.upstream):  # h=[...] c=[...]: per state
        args["upstream"] = _named(
            options.upstream, "--upstream", "STATE=VALUES, e.g. --upstream c=[[...]]", _tensor
        )
    elif options.upstream:
        args["upstream"] = _sequence(options.upstream, "--upstream")
    return args


def _param_items(options: Any, params: dict[str, Any], parse: Any) -> dict[str, Any]:
    """--param NAME=VALUE items added to the shortcut options' parameters (each name once)."""
    items = _named(options.param, "--param", "NAME=VALUE, e.g. --param Wh=-1", parse)
    again = [name for name in items if name in params]
    if again:
        raise InputError(f"the parameter {again[0]} is given twice")
    return params | items


def _initial_state(options: Any, init: dict[str, Any], parse: Any) -> dict[str, Any]:
    """--h0 as the problem's h0 argument (refused when --init h= also sets h_0)."""
    if options.h0 is None:
        return {}
    if "h" in init:
        raise InputError("--h0 and --init h= both set h_0; give one")
    return {"h0": parse(options.h0, "--h0")}


def build_inputs(options: Any) -> tuple[Problem, Settings]:
    """Turn the shared options (and --config) into a Problem and Settings (InputError on bad values)."""
    settings = _settings(options)
    if _bracketed(options):
        return _vector_problem(options), settings
    params = {
        key: parse_number(getattr(options, flag), f"--{flag}")
        for key, flag in SHORTCUTS
        if getattr(options, flag) is not None
    }
    problem_args = _shared_args(options)
    problem_args["params"] = _param_items(options, params, parse_number)
    problem_args["init"] = _named_numbers(options.init, "--init")
    problem_args["inputs"] = _streams(options.input)
    x = parse_values(options.x, "--x")
    if x is not None:
        problem_args["x"] = tuple(x)
    g = parse_values(options.g, "--g", blank=NO_TARGET)
    if g is not None:
        problem_args["g"] = tuple(g)
    problem_args |= _initial_state(options, problem_args["init"], parse_number)
    return Problem(**problem_args), settings


def _settings(options: Any) -> Settings:
    """How numbers are computed and shown."""
    return Settings(
        digits=6 if options.digits is None else options.digits,
        # an answer key works the way its sheet asks: each named quantity rounded, going on from it
        round_intermediate=bool(options.round_intermediate) or (bool(options.answers) and not options.exact),
        exact=bool(options.exact),
        per_step=bool(options.per_step),
        flow=bool(options.flow),
        truncate=options.truncate,
        chunked=bool(options.chunked),
    )


VECTOR_VALUES = ("x", "g", "h0", "wi", "wh", "a", "b", "c", "upstream")
"""The options that may hold a vector or matrix in bracket notation ([[0.5, 0.1], [0.2, 0.3]])."""


def _bracketed(options: Any) -> bool:
    """True when any value is written as a vector or matrix: the problem is then a vector RNN."""
    texts = [v for name in VECTOR_VALUES for v in _as_list(getattr(options, name, None))]
    texts += [item.partition("=")[2] for item in (*(options.param or []), *(options.input or []))]
    return any(text.lstrip().startswith("[") for text in texts)


def _as_list(value: Any) -> list[str]:
    """An option's text values (a list option, one value, or none)."""
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _vector_problem(options: Any) -> Any:
    """A problem of vectors and matrices from bracket notation (any cell; matrices for W_i, W_h, a)."""
    params = {
        key: _tensor(getattr(options, flag), f"--{flag}")
        for key, flag in SHORTCUTS
        if getattr(options, flag) is not None
    }
    problem_args = _shared_args(options)
    problem_args["x"] = _sequence(options.x, "--x")
    problem_args["g"] = _sequence(options.g, "--g")
    problem_args["params"] = _param_items(options, params, _tensor)
    problem_args["init"] = _named(options.init, "--init", "NAME=VALUE, e.g. --init h=[0.5,0.1]", _tensor)
    problem_args["inputs"] = _named(
        options.input, "--input", "NAME=ROWS, e.g. --input u=[[1,0],[0,1]]", _tensor
    )
    problem_args |= _initial_state(options, problem_args["init"], _tensor)
    if options.sequence is not None:
        problem_args["sequence"] = options.sequence
    if options.reduce_batch is not None:
        problem_args["reduce_batch"] = options.reduce_batch.value
    return Problem(**problem_args)


def _sequence(values: list[str] | None, flag: str) -> Any:
    """--x "[[1, 2], [0, 1]]" (one matrix, a row per step) or --x 1 0 (one number per step)."""
    from ..tensor import parse_tensor

    if not values:
        return None if flag == "--g" else _missing_x()
    blank = NO_TARGET if flag == "--g" else None
    if len(values) == 1 and values[0].lstrip().startswith("["):
        return parse_tensor(values[0], flag, blank, depth=3)  # three deep: a mini-batch of sequences
    parsed = parse_values(values, flag, blank)
    return tuple(parsed) if parsed is not None else None


def _missing_x() -> Any:
    """A vector problem always names its inputs."""
    raise InputError('--x: give the inputs of a vector problem, one row per step: --x "[[1, 2], [0, 1]]"')
