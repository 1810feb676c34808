"""A step as rows of an aligned LaTeX display, long sums broken so every row fits the page."""

from __future__ import annotations

from ..derivation.model import COMPACT_OPS, Derivation, Section, Step
from .layout import ROW_BUDGET, chunks, continued, packed_rows, step_parts
from .printers import LatexPrinter


def step_rows(step: Step, digits: int) -> list[str]:
    """``name &= a = b = value`` when short, else one row per part and per piece of a long sum."""
    parts = step_parts(step, digits)
    name = step.target.name.latex
    printers = {False: LatexPrinter(digits), True: LatexPrinter(digits, values=True)}
    if len(step.target.name.text) + sum(len(p.text) + 3 for p in parts) <= ROW_BUDGET:
        return [f"{name} &= " + " = ".join(printers[p.values].print(p.form) for p in parts)]
    rows = []
    for part in parts:
        printer = printers[part.values]
        pieces = chunks(part)
        rows.append(f"&= {printer.print(pieces[0])}")
        for piece in pieces[1:]:
            sign, rest = continued(piece)
            rows.append(rf"&\quad {sign} {printer.print(rest)}")
    rows[0] = name + " " + rows[0]
    return rows


def section_rows(derivation: Derivation, key: str) -> list[str]:
    """All rows of one section, the lead formula first."""
    section = derivation.section(key)
    rows = lead_rows(derivation, section)
    digits = derivation.settings.digits
    if section.key == "known":
        return [
            r",\quad ".join(
                _known(step, digits, i == 0) for i, step in enumerate(row) if isinstance(step, Step)
            )
            for row in packed_rows(section.steps, digits)
        ]
    for step in section.steps:
        rows += step_rows(step, digits)
    return rows


def explained_rows(derivation: Derivation, section: Section) -> list[tuple[list[str], str | None]]:
    """The section's rows as one block, or (with --explain) one block per step followed by its note."""
    if not any(isinstance(s, Step) and s.explanation for s in section.steps):
        return [(section_rows(derivation, section.key), None)]
    digits = derivation.settings.digits
    blocks: list[tuple[list[str], str | None]] = (
        [(lead_rows(derivation, section), None)] if section.lead is not None else []
    )
    blocks += [(step_rows(s, digits), s.explanation) for s in section.steps if isinstance(s, Step)]
    return blocks


def lead_rows(derivation: Derivation, section: Section) -> list[str]:
    """The section's general formula, for this n (none when it has no lead)."""
    if section.lead is None:
        return []
    return [
        section.lead.latex.replace(" = ", " &= ", 1) + rf" \quad \text{{for }} n = {derivation.problem.n}"
    ]


def _known(step: Step, digits: int, aligned: bool) -> str:
    """A known quantity: name = value (the first on a row aligned at its = sign)."""
    return (
        f"{step.target.name.latex} {'&' if aligned else ''}= "
        f"{LatexPrinter(digits, values=True).print(step.target)}"
    )


def header(derivation: Derivation) -> str:
    """One sentence naming the problem and the mode."""
    problem, settings = derivation.problem, derivation.settings
    mode = (
        f"every named quantity rounded to {settings.digits} decimals, as by hand"
        if settings.round_intermediate
        else "exact to double precision, shown to " + f"{settings.digits} decimals"
    )
    if settings.exact:
        mode += (
            "; exact values are written in terms of earlier named quantities, a value in full only while it "
            f"has at most {COMPACT_OPS} operations"
        )
    return f"{problem.headline}; {mode}. {derivation.sheet}".rstrip()


def gradient_rows(derivation: Derivation) -> list[tuple[str, str]]:
    """(LaTeX name, value) for each gradient and the loss (blank on an exercise sheet)."""
    printer = LatexPrinter(derivation.settings.digits)
    number = printer.answer_blank if derivation.blank else printer.number
    rows = (
        [(derivation.gradient_names[k].latex, number(v)) for k, v in derivation.gradients.items()]
        if derivation.scope == "grads"
        else []
    )
    if derivation.full_gradients is not None and derivation.scope == "grads":  # truncated, then the full ones
        k = derivation.truncation.steps
        rows = [(rf"{name}\Big|_{{K={k}}}", value) for name, value in rows]
        rows += [
            (rf"{derivation.gradient_names[key].latex}\Big|_{{\mathrm{{full}}}}", number(value))
            for key, value in derivation.full_gradients.items()
        ]
    return [*rows, ("L", number(derivation.loss))]
