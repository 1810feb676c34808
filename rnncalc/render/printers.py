"""Printing formula trees with names or with values, as plain text or LaTeX (one printer, two spellings)."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from ..cell.functions import BY_SHOWN_NAME
from ..derivation.formula import Add, Blank, Call, Const, Div, Fold, Form, Gap, Mul, Name, Neg, Pow, Ref, Slot
from ..tensor import Tensor, latex_matrix
from .number_format import format_fraction, format_given, format_number

ADD, NEG, MUL, POW, ATOM = 1, 2, 3, 4, 5
COMPACT_ABOVE = 4
"""The terminal writes out vectors and matrices up to 4 rows and columns; larger ones as shape and norm."""


class TextPrinter(Fold):
    """Plain text with Unicode: W_i · x_0 + b, σ(o_1), (y_1 - g_1)^2."""

    times = " · "
    hadamard = " ⊙ "
    spelling = "text"
    unknown_function = "{name}({{}})"
    transposed = "({})ᵀ"

    def __init__(self, digits: int = 6, values: bool = False, compact: bool = False) -> None:
        """Print names, or values with ``digits`` decimals when ``values``; ``compact``: a vector or
        matrix larger than COMPACT_ABOVE in some direction as its shape and norm (the terminal's view)."""
        self.digits = digits
        self.values = values
        self.compact = compact

    def name(self, name: Name) -> str:
        """A quantity's name."""
        return name.text

    def number(self, value: float | Tensor) -> str:
        """A computed value (a vector or matrix entry by entry)."""
        if isinstance(value, Tensor):
            return self.tensor(value, self.number)
        return self.scientific(format_number(value, self.digits))

    def tensor(self, value: Tensor, entry: Callable[[float], str]) -> str:
        """A vector [1, 2] or a matrix [[1, 2], [3, 4]], each entry written by ``entry``."""
        if self.compact and max(value.shape) > COMPACT_ABOVE:
            norm = sum(v * v for row in value.rows() for v in row) ** 0.5
            return f"⟨{'×'.join(map(str, value.shape))}, ‖·‖ = {format_number(norm, self.digits)}⟩"
        if value.is_matrix:
            return "[" + ", ".join(self.tensor(row, entry) for row in value) + "]"
        return "[" + ", ".join(entry(v) for v in value) + "]"

    def scientific(self, text: str) -> str:
        """A number's text as this printer writes scientific notation (text: 5.6e-07 as it is)."""
        return text

    def value(self, ref: Ref) -> str:
        """A quantity's value: as typed when the user gave it, else in the one number format."""
        return self.as_given(ref.value) if ref.given else self.number(ref.value)

    def as_given(self, value: float) -> str:
        """A value the user typed."""
        if isinstance(value, Tensor):
            return self.tensor(value, self.as_given)
        return self.scientific(format_given(value, self.digits))

    def literal(self, value: Fraction) -> tuple[str, int]:
        """A literal number and its precedence."""
        return format_fraction(value), (ATOM if value.denominator == 1 else MUL)

    def gap_text(self, count: int) -> str:
        """Left-out terms."""
        return f"… ({count} terms) …"

    def blank_text(self, width: int = 8) -> str:
        """A space to fill in, ``width`` characters wide."""
        return "_" * width

    def answer_blank(self, value: float) -> str:
        """A space to fill in, as wide as the value it waits for (with a little room)."""
        return self.blank_text(max(len(TextPrinter(self.digits).number(value)) + 2, 6))

    def paren(self, text: str) -> str:
        """Parenthesised text."""
        return f"({text})"

    def power(self, base: str, exponent: str) -> str:
        """base to the exponent."""
        return f"{base}^{exponent}"

    def divide(self, numerator: Form, denominator: Form) -> tuple[str, int]:
        """A quotient and its precedence."""
        return f"{self.wrap(numerator, MUL)}/{self.wrap(denominator, POW)}", MUL

    def call_text(self, function: str, arg: str) -> str:
        """A function applied to its argument, spelled as the function registry says."""
        if function == "transpose":  # (r_1 ⊙ h_0)ᵀ: a column written as a row
            return self.transposed.format(arg)
        record = BY_SHOWN_NAME.get(function)
        if record is None:  # diag, softmax: spelled by name (the name's own braces kept as they are)
            return self.unknown_function.format(name=function).replace("{}", arg)
        return getattr(record, self.spelling).format(arg)

    def print(self, form: Form) -> str:
        """The whole form."""
        return self(form)[0]

    def wrap(self, form: Form, least: int) -> str:
        """The form, parenthesised if it binds less tightly than ``least``."""
        text, precedence = self(form)
        return self.paren(text) if precedence < least else text

    def ref(self, form: Ref) -> tuple[str, int]:
        """A quantity: its name, or its value."""
        if not self.values:
            return self.name(form.name), ATOM
        text = self.value(form)
        return text, (NEG if text[0] == "-" else ATOM)

    def const(self, form: Const) -> tuple[str, int]:
        """A literal number."""
        return self.literal(form.value)

    def add(self, form: Add) -> tuple[str, int]:
        """A sum."""
        return self._sum(form), ADD

    def mul(self, form: Mul) -> tuple[str, int]:
        """A product (entry by entry: ⊙)."""
        times = self.hadamard if form.hadamard else self.times
        if all(type(f) is Ref for f in form.factors):
            return times.join(map(self._factor, form.factors)), MUL  # type: ignore[arg-type]
        return times.join(self._operand(f, form.hadamard) for f in form.factors), MUL

    def _operand(self, factor: Form, hadamard: bool) -> str:
        """A factor of a product; a product of the other kind in brackets: (z ⊙ dL/dz) · xᵀ."""
        if isinstance(factor, Mul) and factor.hadamard != hadamard:
            return self.paren(self.print(factor))
        return self.wrap(factor, MUL)

    def neg(self, form: Neg) -> tuple[str, int]:
        """A negation."""
        return "-" + self.wrap(form.arg, MUL), NEG

    def div(self, form: Div) -> tuple[str, int]:
        """A quotient."""
        return self.divide(form.numerator, form.denominator)

    def pow(self, form: Pow) -> tuple[str, int]:
        """A power; a derivative's name as the base in brackets: (dL/dW_i)^2, not dL/dW_i^2."""
        base = self.wrap(form.base, ATOM)
        if isinstance(form.base, Ref) and not self.values and "/" in form.base.name.text:
            base = self.paren(base)
        return self.power(base, self.wrap(form.exponent, ATOM)), POW

    def call(self, form: Call) -> tuple[str, int]:
        """A function call."""
        return self.call_text(form.function, self.print(form.arg)), ATOM

    def slot(self, form: Slot) -> tuple[str, int]:
        """An unfilled slot, by its symbol."""
        return form.symbol, ATOM

    def gap(self, form: Gap) -> tuple[str, int]:  # type: ignore[override]
        """Left-out terms."""
        return self.gap_text(form.count), ATOM

    def blank(self, form: Blank) -> tuple[str, int]:  # type: ignore[override]
        """A space to fill in, as wide as its answer."""
        return self.blank_text(form.width), ATOM

    def _factor(self, ref: Ref) -> str:
        """A quantity inside a product: its name, or its value (parenthesised when negative)."""
        if not self.values:
            return self.name(ref.name)
        text = self.value(ref)
        return self.paren(text) if text[0] == "-" else text

    def _sum(self, form: Add) -> str:
        """Terms joined by + and -, negative values parenthesised after the first."""
        parts = []
        for i, term in enumerate(form.terms):
            if i and isinstance(term, Neg):
                parts.append(" - " + self.wrap(term.arg, MUL))
                continue
            text, precedence = self(term)
            if i and precedence <= NEG:
                text = self.paren(text)
            parts.append((" + " if i else "") + text)
        return "".join(parts)


class LatexPrinter(TextPrinter):
    """LaTeX math: W_{i} \\cdot x_{0}, \\sigma\\left(o_{1}\\right), \\frac{1}{2}."""

    times = r" \cdot "
    hadamard = r" \odot "
    spelling = "latex"
    unknown_function = r"\operatorname{{{name}}}\left({{}}\right)"
    transposed = r"\left({}\right)^{{\top}}"

    def name(self, name: Name) -> str:
        """A quantity's LaTeX name."""
        return name.latex

    def tensor(self, value: Tensor, entry: Callable[[float], str]) -> str:
        """A vector as a column, a matrix row by row: \\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}."""
        return latex_matrix([[entry(v) for v in row] for row in value.rows()])

    def scientific(self, text: str) -> str:
        """Scientific notation as mantissa times a power of ten."""
        mantissa, _, exponent = text.partition("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}" if exponent else text

    def literal(self, value: Fraction) -> tuple[str, int]:
        """Integers plainly, fractions with \\frac."""
        if value.denominator == 1:
            return str(value.numerator), ATOM
        return rf"\frac{{{value.numerator}}}{{{value.denominator}}}", ATOM

    def gap_text(self, count: int) -> str:
        """Left-out terms."""
        return rf"\dots\text{{({count} terms)}}\dots"

    def blank_text(self, width: int = 8) -> str:
        """A space to fill in, as wide as ``width`` digits (a digit is half an em)."""
        return rf"\underline{{\hspace{{{width / 2 + 1:g}em}}}}"

    def paren(self, text: str) -> str:
        """Auto-sized parentheses."""
        return rf"\left({text}\right)"

    def power(self, base: str, exponent: str) -> str:
        """base^{exponent}."""
        return f"{base}^{{{exponent}}}"

    def divide(self, numerator: Form, denominator: Form) -> tuple[str, int]:
        """\\frac{numerator}{denominator}."""
        return rf"\frac{{{self.print(numerator)}}}{{{self.print(denominator)}}}", ATOM
