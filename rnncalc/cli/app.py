"""The command line: parse options, call the library, render, map errors to exit codes."""

from __future__ import annotations

import copy
import dataclasses
import gc
import os
import sys
import traceback
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from .. import __version__
from ..errors import InputError, RnnCalcError
from ..files import refuse_overwriting
from ..numbers import parse_number
from ..render import FORMATS, View
from ..render.ascii import can_show, to_ascii
from ..text import visible
from .help import PanelledCommand, SummaryGroup, near_miss
from .options import (
    DERIVATION_ONLY,
    METHOD,
    TRUNCATION,
    FormatName,
    GraphFormat,
    MethodName,
    OptimizerName,
    QuizFormat,
    SharedOptions,
    build_inputs,
    expand_sequences,
    names_a_problem,
    with_problem,
    with_shared_options,
)
from .output import Terminal, deliver, emit, progress

SGD = OptimizerName("sgd")
MAX_MESSAGE = 300
PICTURES = ("svg", "png", "pdf")
MAX_PICTURE_STEPS = 60  # Graphviz fails ("trouble in init_rank") from about n = 100
STDOUT = Path("-")
DEBUG_VARIABLE = "RNNCALC_DEBUG"


class RnnCalcGroup(SummaryGroup):
    """The command group; it lets --x and --g take several values after one flag."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Expand ``--x 1 0`` before the usual parsing."""
        return super().parse_args(ctx, expand_sequences(args))


app = typer.Typer(
    cls=RnnCalcGroup,
    add_completion=True,
    invoke_without_command=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Backpropagation through time for a scalar RNN, worked step by step with every number.\n\n"
    "o_t = Wi*x_{t-1} + Wh*h_{t-1} + b, h_t = act(o_t), y_t = a*h_t + c, L = 1/n Σ (y_t - g_t)^2. "
    "With no command: the whole derivation (grads --show-steps), of the worked example or of the problem "
    "its options give (rnncalc --x 1 0 1).",
)


def app_for(args: list[str]) -> typer.Typer:
    """The app with only the command being run: typer builds the options of every command it holds on
    each start (half of the worked example's own time), so a run builds just its own; the whole app
    for help, completion and a mistyped name."""
    commands = {
        info.name or getattr(info.callback, "__name__", "").replace("_", "-"): info
        for info in app.registered_commands
    }
    named = next((arg for arg in args if not arg.startswith("-")), None)
    if named in commands:
        kept = [commands[named]]
    elif not args and not any(key.startswith("_RNNCALC_COMPLETE") for key in os.environ):
        kept = []  # the default derivation, run by the group's own callback
    else:
        return app
    lean = copy.copy(app)
    lean.registered_commands = kept
    return lean


def _show_version(value: bool) -> None:
    """Print the version and stop."""
    if value:
        print(f"rnncalc {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", help="Show the version and exit.", callback=_show_version, is_eager=True),
    ] = False,
) -> None:
    """Backpropagation through time for a scalar RNN, worked step by step with every number."""
    if ctx.invoked_subcommand is None:
        _run(SharedOptions(), scope="grads", steps=True)


@app.command(cls=PanelledCommand)
@with_shared_options(exclude=TRUNCATION)
def forward(options: SharedOptions) -> None:
    """The forward pass, step by step: o_t, h_t, y_t and the loss."""
    _run(options, scope="forward", steps=True)


@app.command(cls=PanelledCommand)
@with_shared_options()
def grads(
    options: SharedOptions,
    show_steps: Annotated[
        bool,
        typer.Option(
            "--show-steps",
            help="Show the whole derivation: loss, forward pass, local derivatives, chain rule.",
            rich_help_panel=METHOD,
        ),
    ] = False,
    method: Annotated[
        Optional[MethodName],
        typer.Option(
            "--method",
            rich_help_panel=METHOD,
            help=(
                "forward: total derivatives carried forward in time, as in the worked example; backward: "
                "textbook BPTT with deltas; both: both, and that they agree (implies --show-steps). "
                "Default: forward (vectors: backward)."
            ),
        ),
    ] = None,
) -> None:
    """The gradients dL/dθ for θ = Wi, Wh, a, b, c, h0 (the whole derivation with --show-steps)."""
    chosen = method or options.method  # none: forward mode, or for vectors backward
    steps = show_steps or bool(chosen) or any(getattr(options, name) for name in STEP_OPTIONS)
    _run(options, scope="grads", steps=steps, method=chosen.value if chosen else None)


STEP_OPTIONS = ("per_step", "flow", "exact", "blank", "answers", "explain", "all_steps")
"""grads options that only mean something in the derivation: each implies --show-steps."""


@app.command("check", cls=PanelledCommand)
@with_shared_options(exclude=DERIVATION_ONLY)
def check_command(
    options: SharedOptions,
    inputs: Annotated[bool, typer.Option("--inputs", help="Also check dL/dx_t for every input.")] = False,
) -> None:
    """Check the chain-rule gradients against finite differences, SymPy and PyTorch; exit 1 if any differ."""
    from ..features.check import check

    problem, settings = build_inputs(options)
    with progress("checking"):
        report = check(problem, inputs=inputs, truncate=settings.truncate)
    _deliver_options(report, options, View(digits=settings.digits))
    if not report.ok:
        raise typer.Exit(1)


@app.command("train", cls=PanelledCommand)
@with_shared_options(exclude=DERIVATION_ONLY)
def train_command(
    options: SharedOptions,
    lr: Annotated[
        str, typer.Option("--lr", help="Learning rate η. Default: 0.5.", metavar="NUM", show_default=False)
    ] = "0.5",
    epochs: Annotated[
        int,
        typer.Option(
            "--epochs", help="Number of full-batch updates. Default: 20.", metavar="N", show_default=False
        ),
    ] = 20,
    optimizer: Annotated[
        OptimizerName,
        typer.Option(
            "--optimizer",
            help="sgd: θ' = θ − η·dθ; momentum: v = β·v + dθ, θ' = θ − η·v; adam: m = β·m + (1 − β)·dθ, "
            "v = β2·v + (1 − β2)·dθ², θ' = θ − η·m̂/(√v̂ + ε) with m̂, v̂ bias-corrected (torch.optim.Adam). "
            "Default: sgd.",
            show_default=False,
        ),
    ] = SGD,
    beta: Annotated[
        str,
        typer.Option(
            "--beta",
            help="Momentum coefficient β (Adam's β1). Default: 0.9.",
            metavar="NUM",
            show_default=False,
        ),
    ] = "0.9",
    clip: Annotated[
        Optional[str],
        typer.Option("--clip", help="Scale the gradient down to this norm when it is longer.", metavar="NUM"),
    ] = None,
    beta2: Annotated[
        str,
        typer.Option("--beta2", help="Adam's β2. Default: 0.999.", metavar="NUM", show_default=False),
    ] = "0.999",
    eps: Annotated[
        str, typer.Option("--eps", help="Adam's ε. Default: 1e-8.", metavar="NUM", show_default=False)
    ] = "1e-8",
    clip_value: Annotated[
        Optional[str],
        typer.Option(
            "--clip-value",
            help="Clip every gradient entry to [−V, V] first (deeplearning.ai's clip; --clip then scales "
            "the norm).",
            metavar="NUM",
        ),
    ] = None,
    show_steps: Annotated[
        bool, typer.Option("--show-steps", help="Show the first update written out with numbers.")
    ] = False,
) -> None:
    """Gradient descent on W_i, W_h, a, b, c: a table of epoch, loss and parameters, and a loss curve."""
    from ..features.train import train

    problem, settings = build_inputs(options)
    with progress("training") as report:
        rate, momentum = float(parse_number(lr, "--lr")), float(parse_number(beta, "--beta"))
        limit = float(parse_number(clip, "--clip")) if clip is not None else None
        adam = {"beta2": float(parse_number(beta2, "--beta2")), "eps": float(parse_number(eps, "--eps"))}
        if clip_value is not None:
            adam["clip_value"] = float(parse_number(clip_value, "--clip-value"))
        run = train(
            problem,
            rate,
            epochs,
            optimizer.value,
            momentum,
            limit,
            progress=report,
            settings=settings,
            **adam,
        )
    picture = _picture(options)
    if picture is not None:
        from ..render.pictures import loss_picture

        emit(loss_picture(run, picture), options.output, options.force, options.quiet)
    else:
        _deliver_options(run, options, View(digits=settings.digits, show_steps=show_steps))
    if run.stopped:
        raise RnnCalcError(run.stopped)


GRAPH_FORMATS = {
    ".dot": "dot",
    ".gv": "dot",
    ".json": "json",
    ".txt": "rich",
    ".svg": "svg",
    ".png": "png",
    ".pdf": "pdf",
}


@app.command("graph", cls=PanelledCommand)
@with_shared_options(
    exclude=(*DERIVATION_ONLY, *TRUNCATION, "format", "output")
)  # --param NAME picks the tree's parameter
def graph_command(
    options: SharedOptions,
    format: Annotated[
        Optional[GraphFormat],
        typer.Option(
            "--format",
            "-f",
            help=(
                "dot: Graphviz source; rich: the chain of --param as a tree; json. Default: from -o, else "
                "dot."
            ),
        ),
    ] = None,
    output: Annotated[
        Optional[Path],
        typer.Option(
            "--output",
            "-o",
            help="Write to a file: .dot/.gv, .json, .txt, or .svg/.png/.pdf (drawn by Graphviz's dot).",
            dir_okay=False,
            metavar="FILE",
        ),
    ] = None,
    tree: Annotated[
        Optional[str],
        typer.Option(
            "--tree",
            help="With --format rich: the parameter whose chain is shown as a tree. Default: Wh.",
            metavar="NAME",
        ),
    ] = None,
) -> None:
    """The unrolled graph: every node with value and gradient, every edge with its local derivative."""
    from ..features.graph import build_graph

    output = None if output == STDOUT else output
    kind = (
        format.value
        if format is not None
        else (GRAPH_FORMATS.get(output.suffix.lower()) if output is not None else "dot")
    )
    if kind is None:
        known = ", ".join(GRAPH_FORMATS)
        name = output.name if output is not None else ""
        raise InputError(f"cannot tell the format from {name!r}; use --format or one of {known}")
    bare = [p for p in options.param or [] if "=" not in p]
    if bare:  # one meaning per option: --param sets a value everywhere
        raise InputError(
            f"--param {bare[0]}: --param sets a value (NAME=VALUE); the tree's parameter is --tree {bare[0]}"
        )
    chosen = [tree] if tree else []
    problem, settings = build_inputs(options)
    if kind in PICTURES and problem.n > MAX_PICTURE_STEPS:
        raise InputError(
            f"graph pictures are drawn for n <= {MAX_PICTURE_STEPS} (Graphviz cannot lay out larger unrolled "
            f"graphs; n = {problem.n}); write the DOT source with -o graph.dot, or use -f json"
        )
    with progress("unrolling"):
        graph = build_graph(problem)
    if chosen and chosen[0] not in graph.gradients:
        choices = ", ".join(graph.gradients)
        raise InputError(f"--tree {chosen[0]}: not a parameter of the cell (choose one of {choices})")
    view = View(digits=settings.digits, param=chosen[0] if chosen else None)
    if kind in PICTURES:
        from ..render.graphviz import draw

        emit(draw(graph.render("dot", digits=settings.digits), kind), output, options.force, options.quiet)
    else:
        _deliver(graph, kind, output, view, options)


def _deliver_options(result: Any, options: SharedOptions, view: View) -> None:
    """A result to the format and file the shared options ask for."""
    _deliver(result, _format_name(options.format, options.output), options.output, view, options)


def _deliver(
    result: Any, format_name: str, output: Optional[Path], view: View, options: SharedOptions
) -> None:
    """A result to the terminal, a pipe or a file, with the shared terminal options."""
    deliver(
        result,
        format_name,
        output,
        view,
        Terminal(options.color, options.pager, options.ascii, options.force, options.quiet, options.width),
    )


@app.command("grade", cls=PanelledCommand)
@with_shared_options(exclude=(*DERIVATION_ONLY, *TRUNCATION))
def grade_command(
    options: SharedOptions,
    answers: Annotated[
        list[Path],
        typer.Argument(
            help='A TOML file of your numbers: h_1 = 0.880797, "dL_1/dy_1" = 0.880797, dWi = 0.102937, ... '
            "Several files: a class, one row per sheet and where the class went wrong.",
            dir_okay=False,
            metavar="ANSWERS...",
        ),
    ],
) -> None:
    """Check a hand derivation: each of your numbers against the derivation; exit 1 if any is wrong."""
    for path in answers:
        refuse_overwriting(options.output, path)
    if len(answers) > 1:
        _grade_class(options, answers)
        return
    result, settings = _graded(options, answers[0])
    _deliver_options(result, options, View(digits=settings.digits))
    if not result.ok:
        raise typer.Exit(1)


def _grade_class(options: SharedOptions, paths: list[Path]) -> None:
    """grade a.toml b.toml ...: every sheet, each on its own problem; one unreadable sheet is a row, not
    the end."""
    from ..features.grade import ClassGrade

    sheets: list[tuple[str, Any]] = []
    digits = 6
    with progress("grading"):
        for path in paths:
            try:
                result, settings = _graded(options, path)
                sheets.append((str(path), result))
                digits = settings.digits
            except RnnCalcError as error:
                sheets.append((str(path), str(error)))
    if all(isinstance(result, str) for _, result in sheets):  # nothing to grade: an error, not a table
        raise InputError(f"none of the {len(sheets)} answer files could be graded; the first: {sheets[0][1]}")
    report = ClassGrade(tuple(sheets))
    _deliver_options(report, options, View(digits=digits))
    if not report.ok:
        raise typer.Exit(1)


def _graded(options: SharedOptions, answers: Path) -> tuple[Any, Any]:
    """One sheet graded against its problem ([problem] table, or the options), and the settings."""
    from ..features.grade import grade, read_answers_file

    given, table = read_answers_file(answers)
    if table is not None:
        options = with_problem(options, table)
    elif not names_a_problem(options):
        where = "the answers on standard input" if str(answers) == "-" else str(answers)
        raise InputError(
            f"grade: which problem does {where} answer? Add a [problem] table to it, or give "
            "--config FILE or the problem's options (--x, --g, --preset, ...)"
        )
    problem, settings = build_inputs(options)
    with progress("grading"):
        numbers = {key: value for key, (value, _) in given.items()}
        result = grade(problem, numbers, settings.digits, {key: text for key, (_, text) in given.items()})
    return result, settings


QUIZ_EXCLUDED = (*DERIVATION_ONLY, *TRUNCATION, "pager", "format")


@app.command("quiz", cls=PanelledCommand)
@with_shared_options(exclude=QUIZ_EXCLUDED)
def quiz_command(
    options: SharedOptions,
    fmt: Annotated[
        Optional[QuizFormat],
        typer.Option("-f", "--format", help="Write the quiz as Moodle XML (as -o quiz.xml does)."),
    ] = None,
    variants: Annotated[
        Optional[int],
        typer.Option(
            "--variants",
            help="With -o quiz.xml: N problems of the same shape, new values each (one question category "
            "per variant, for a quiz that draws one per student).",
            metavar="N",
            min=1,
        ),
    ] = None,
    seed: Annotated[
        int,
        typer.Option("--seed", help="The seed the variants are drawn from (the same seed, the same quiz)."),
    ] = 1,
) -> None:
    """Work the derivation line by line: type each value, see at once whether it is right (q quits); with
    -o quiz.xml (or -f moodle) write it as a Moodle XML quiz for the course site instead."""
    if options.output is not None or fmt is not None or variants is not None:
        _quiz_export(options, variants, seed)
        return
    from ..features.quiz import start_quiz
    from ..render.ascii import can_show, to_ascii
    from ..render.reports.quiz import feedback_lines, intro_lines, question_line, score_line

    problem, settings = build_inputs(options)
    quiz = start_quiz(problem, settings.digits)
    plain = options.ascii or not can_show(sys.stdout, "σ·✓✗")

    def say(text: str) -> None:
        sys.stdout.write((to_ascii(text) if plain else text) + "\n")
        sys.stdout.flush()

    for line in intro_lines(quiz):
        say(line)
    try:
        for position, question in enumerate(quiz.questions, start=1):
            say(question_line(question, position, len(quiz.questions)))
            feedback = _ask(quiz, question, say)
            if feedback is None:
                break
            for line in feedback_lines(feedback, settings.digits):
                say(line)
    except (KeyboardInterrupt, Stopped):  # Ctrl-C: the score so far, then the status of an interruption
        say("")
        say(score_line(quiz))
        raise
    say(score_line(quiz))
    if quiz.score < len(quiz.feedback):  # a wrong answer: exit status 1, as grade
        raise typer.Exit(1)


def _quiz_export(options: SharedOptions, variants: Optional[int], seed: int) -> None:
    """The quiz (or N variants of it) as Moodle XML, to -o FILE or stdout."""
    from ..features.quiz import quizzes
    from ..features.variants import variants as drawn

    output = options.output
    if output is not None and str(output) != "-" and output.suffix.lower() != ".xml":
        raise InputError(f"a quiz is written as Moodle XML: -o quiz.xml (or -f moodle), not {output.name!r}")
    problem, settings = build_inputs(options)
    problems = drawn(problem, variants, seed) if variants is not None else [problem]
    with progress("writing the quiz"):
        result = quizzes(problems, settings.digits, seed if variants is not None else None)
    _deliver(result, "moodle", output, View(), options)


MAX_ANSWER_LINE = 1000
"""The longest answer line quiz reads (standard input could be endless: < /dev/zero)."""


def _answer_line() -> str:
    """One line of standard input ("" at its end, or when there is none)."""
    if sys.stdin is None:
        return ""
    try:
        line = sys.stdin.readline(MAX_ANSWER_LINE + 1)
    except UnicodeDecodeError as error:
        raise InputError(
            f"standard input is not text in the {error.encoding} encoding; type plain numbers"
        ) from None
    if len(line) > MAX_ANSWER_LINE:
        raise InputError(f"an answer line is longer than {MAX_ANSWER_LINE} characters; type one number")
    return line


def _ask(quiz: Any, question: Any, say: Any) -> Any:
    """Read answers from standard input until one is a number (? shows a hint); None at the end of input
    or on q."""
    from ..render.reports.quiz import hint_line

    while True:
        line = _answer_line()
        if not line or line.strip().lower() in ("q", "quit"):
            return None
        if not line.strip():
            continue
        if line.strip() in ("?", "hint"):
            say(hint_line(quiz, question))
            continue
        try:
            return quiz.answer(question, line)
        except InputError as error:
            say(f"  {error}; type a number, or q to stop")


@app.command("init", cls=PanelledCommand)
def init_command(
    path: Annotated[
        Path,
        typer.Argument(
            help="The problem file to write, e.g. problem.toml (- for standard output).",
            dir_okay=False,
            metavar="FILE",
        ),
    ],
    force: Annotated[bool, typer.Option("--force", help="Replace the file if it exists.")] = False,
) -> None:
    """Write a commented problem file of the worked example, for --config (- prints it)."""
    from ..features.problem_file import TEMPLATE, write_template

    if str(path) == "-":  # as every Unix tool reads -: standard output
        print(TEMPLATE, end="")
        return
    write_template(path, force)
    print(f"wrote {path}; use it with: rnncalc grads --show-steps --config {path}")


@app.command("conventions", cls=PanelledCommand)
def conventions_command() -> None:
    """List the course conventions (--convention NAME): each course's cells, names, axes and stacks."""
    from ..render.conventions import conventions_text

    print(conventions_text(), end="")


@app.command("cells", cls=PanelledCommand)
def cells_command() -> None:
    """List the preset cells (--preset NAME) with their equations and default parameter values."""
    from ..render.cells import presets_text

    print(presets_text(), end="")


def _run(options: SharedOptions, scope: str, steps: bool, method: Optional[str] = None) -> None:
    """Build the derivation and write it to stdout or the output file (the cycle collector paused: the
    objects made are acyclic, and are freed by reference counting)."""
    from ..derivation.derive import collector_paused

    with collector_paused():
        _derive_and_deliver(options, scope, steps, method)
        gc.freeze()  # the command is done: no collection pass over what it made on the way out


def _derive_and_deliver(options: SharedOptions, scope: str, steps: bool, method: Optional[str]) -> None:
    """See ``_run``."""
    from ..derivation.derive import derive

    output: Optional[Path] = options.output
    picture = _picture(options)
    if picture is not None and (options.flow or picture != "pdf"):  # -o sheet.pdf: the typeset derivation
        _run_picture(options, scope, method)
        return
    format_name = _format_name(options.format, output)
    _check_format_options(options, format_name)
    flavor = options.markdown_flavor.value if options.markdown_flavor else "github"
    view = View(fragment=options.fragment, flavor=flavor, all_steps=options.all_steps or output is not None)
    problem, settings = build_inputs(options)
    with progress("deriving") as report:
        derivation = derive(problem, settings, scope=scope, steps=steps, progress=report, method=method)
    if options.blank and options.answers:
        raise InputError("--blank and --answers conflict: write the sheet and the key with two commands")
    if options.blank:
        derivation = derivation.blanked(options.blank.value)
    elif options.answers:
        derivation = dataclasses.replace(derivation, answer_key=True)
    if options.explain:
        derivation = derivation.explained()
    _deliver(derivation, format_name, output, view, options)
    if not derivation.methods_agree:  # --method both: forward and backward mode disagree
        raise typer.Exit(1)


def _picture(options: SharedOptions) -> Optional[str]:
    """The picture format -o names (svg, png, pdf) when no --format is given, else None."""
    from ..render.pictures import PICTURE_SUFFIXES

    if options.output is None or options.format is not None:
        return None
    return PICTURE_SUFFIXES.get(options.output.suffix.lower())


def _run_picture(options: SharedOptions, scope: str, method: Optional[str]) -> None:
    """grads --flow -o flow.svg: the gradient through time drawn (matplotlib)."""
    from ..derivation.derive import derive
    from ..render.pictures import flow_picture

    problem, settings = build_inputs(options)
    with progress("deriving") as report:
        derivation = derive(problem, settings, scope=scope, steps=True, progress=report, method=method)
    picture = flow_picture(derivation, _picture(options) or "svg")
    emit(picture, options.output, options.force, options.quiet)


def _check_format_options(options: SharedOptions, format_name: str) -> None:
    """Options that belong to one format are errors with another."""
    if options.fragment and format_name != "latex":
        raise InputError(f"--fragment applies to LaTeX output only, not {format_name}")
    if options.markdown_flavor is not None and format_name != "markdown":
        raise InputError(f"--markdown-flavor applies to Markdown output only, not {format_name}")


def _format_name(chosen: Optional[FormatName], output: Optional[Path]) -> str:
    """The format asked for, or the one the output file's extension names."""
    if chosen is not None:
        return chosen.value
    if output is None:
        return "rich"
    suffix = output.suffix.lower()
    for name, fmt in FORMATS.items():
        if suffix in fmt.extensions:
            return name
    known = ", ".join(ext for fmt in FORMATS.values() for ext in fmt.extensions)
    raise InputError(f"cannot tell the format from {output.name!r}; use --format or one of {known}")


def _fail(message: str, code: int) -> int:
    """Print a one-line error on stderr (in ASCII where stderr cannot show more) and return the status."""
    text = " ".join(visible(message).split())
    line = f"rnncalc: error: {text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + '…'}"
    if sys.stderr is None:
        return code
    print(line if can_show(sys.stderr, line) else to_ascii(line), file=sys.stderr)
    return code


class Stopped(BaseException):
    """A signal (SIGINT, SIGTERM, SIGHUP) arrived: unwind, so temporary files are removed, then exit."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, frame: object) -> None:
    """The signal handler: raise Stopped where the program is."""
    raise Stopped(signum)


def _catch_signals() -> None:
    """Turn SIGINT, SIGTERM and SIGHUP into Stopped (only in the main thread, as Python requires)."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        for name in ("SIGINT", "SIGTERM", "SIGHUP"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), _stop)


def _quiet_stdout() -> None:
    """After stdout failed, send whatever is still buffered nowhere (no second error at exit)."""
    sys.stdout = open(os.devnull, "w")


def main(argv: Optional[list[str]] = None) -> int:
    """Run the CLI; return (and, as a script, exit with) 0, 1 for errors or 2 for usage errors."""
    args = sys.argv[1:] if argv is None else list(argv)
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w")
        return _fail("standard output is closed; send it to a file or to /dev/null", 1)
    if argv is None:
        _catch_signals()
    args = _default_command(args)
    try:
        result = app_for(args)(args=args, prog_name="rnncalc", standalone_mode=False)
        sys.stdout.flush()
    except RnnCalcError as error:
        return _fail(str(error), error.exit_code)
    except typer.TyperException as error:
        return _fail(
            error.format_message() + near_miss(error.format_message()), getattr(error, "exit_code", 2)
        )
    except (KeyboardInterrupt, typer.Abort):
        return _fail("interrupted", 130)
    except Stopped as stop:
        return _fail("interrupted" if stop.signum == 2 else "terminated by a signal", 128 + stop.signum)
    except BrokenPipeError:
        _quiet_stdout()
        return 1
    except OSError as error:  # stdout itself failed: a full disk, a closed descriptor
        _quiet_stdout()
        return _fail(f"cannot write the output: {error.strerror or error}", 1)
    except Exception as error:  # a bug: say so in one line unless debugging
        if os.environ.get(DEBUG_VARIABLE):
            traceback.print_exc()
        return _fail(
            f"internal error: {type(error).__name__}: {error} (set {DEBUG_VARIABLE}=1 for the traceback)", 1
        )
    return result if isinstance(result, int) else 0


ROOT_OPTIONS = ("--help", "-h", "--version", "--install-completion", "--show-completion")


def _default_command(args: list[str]) -> list[str]:
    """Bare rnncalc is grads --show-steps, with grads' options too (rnncalc --x 1 0)."""
    if args and args[0].startswith("-") and args[0].split("=")[0] not in ROOT_OPTIONS:
        return ["grads", "--show-steps", *args]
    return args


BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
"""One BLAS thread unless the user says otherwise: a vector RNN's per-step products are small, and a
second thread only waits (measured: 8 ms alone, 52 ms when the other core is busy)."""


def run() -> None:
    """Console-script entry point."""
    for variable in BLAS_THREADS:
        os.environ.setdefault(variable, "1")
    sys.exit(main())
