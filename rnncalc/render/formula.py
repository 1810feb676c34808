"""Printing formula trees with names or with values, as plain text or LaTeX (one printer, two spellings)."""

from __future__ import annotations

from fractions import Fraction

from ..forms import Add, Blank, Call, Const, Div, Form, Gap, Mul, Name, Neg, Pow, Ref, Slot
from ..numerals import format_fraction, format_number

ADD, NEG, MUL, POW, ATOM = 1, 2, 3, 4, 5


class TextPrinter:
    """Plain text with Unicode: W_i · x_0 + b, σ(o_1), (y_1 - g_1)^2."""

    times = " · "
    functions = {"sigmoid": "σ({})", "unit_step": "[{} > 0]", "Abs": "|{}|"}

    def __init__(self, digits: int = 6, values: bool = False) -> None:
        """Print names, or values with ``digits`` decimals when ``values``."""
        self.digits = digits
        self.values = values

    def name(self, name: Name) -> str:
        """A quantity's name."""
        return name.text

    def number(self, value: float) -> str:
        """A quantity's value."""
        return format_number(value, self.digits)

    def const(self, value: Fraction) -> tuple[str, int]:
        """A literal number and its precedence."""
        return format_fraction(value), (ATOM if value.denominator == 1 else MUL)

    def gap(self, count: int) -> str:
        """Left-out terms."""
        return f"… ({count} terms) …"

    def blank(self) -> str:
        """A space to fill in."""
        return "________"

    def paren(self, text: str) -> str:
        """Parenthesised text."""
        return f"({text})"

    def power(self, base: str, exponent: str) -> str:
        """base to the exponent."""
        return f"{base}^{exponent}"

    def divide(self, numerator: Form, denominator: Form) -> tuple[str, int]:
        """A quotient and its precedence."""
        return f"{self.wrap(numerator, MUL)}/{self.wrap(denominator, POW)}", MUL

    def call(self, function: str, arg: str) -> str:
        """A function applied to its argument."""
        return self.functions.get(function, function + "({})").format(arg)

    def print(self, form: Form) -> str:
        """The whole form."""
        return self.show(form)[0]

    def wrap(self, form: Form, least: int) -> str:
        """The form, parenthesised if it binds less tightly than ``least``."""
        text, precedence = self.show(form)
        return self.paren(text) if precedence < least else text

    def show(self, form: Form) -> tuple[str, int]:
        """Text and precedence of a form."""
        if type(form) is Ref:
            if not self.values:
                return self.name(form.name), ATOM
            text = self.number(form.value)
            return text, (NEG if text[0] == "-" else ATOM)
        if type(form) is Mul and all(type(f) is Ref for f in form.factors):
            return self.times.join(map(self._factor, form.factors)), MUL
        if isinstance(form, Const):
            return self.const(form.value)
        if isinstance(form, Add):
            return self._sum(form), ADD
        if isinstance(form, Mul):
            return self.times.join(self.wrap(f, MUL) for f in form.factors), MUL
        if isinstance(form, Neg):
            return "-" + self.wrap(form.arg, MUL), NEG
        if isinstance(form, Div):
            return self.divide(form.numerator, form.denominator)
        if isinstance(form, Pow):
            return self.power(self.wrap(form.base, ATOM), self.wrap(form.exponent, ATOM)), POW
        if isinstance(form, Call):
            return self.call(form.function, self.print(form.arg)), ATOM
        if isinstance(form, Slot):
            return form.symbol, ATOM
        if isinstance(form, Gap):
            return self.gap(form.count), ATOM
        if isinstance(form, Blank):
            return self.blank(), ATOM
        raise TypeError(f"not a formula: {form!r}")

    def _factor(self, ref: Ref) -> str:
        """A quantity inside a product: its name, or its value (parenthesised when negative)."""
        if not self.values:
            return self.name(ref.name)
        text = self.number(ref.value)
        return self.paren(text) if text[0] == "-" else text

    def _sum(self, form: Add) -> str:
        """Terms joined by + and -, negative values parenthesised after the first."""
        parts = []
        for i, term in enumerate(form.terms):
            if i and isinstance(term, Neg):
                parts.append(" - " + self.wrap(term.arg, MUL))
                continue
            text, precedence = self.show(term)
            if i and precedence <= NEG:
                text = self.paren(text)
            parts.append((" + " if i else "") + text)
        return "".join(parts)


class LatexPrinter(TextPrinter):
    """LaTeX math: W_{i} \\cdot x_{0}, \\sigma\\left(o_{1}\\right), \\frac{1}{2}."""

    times = r" \cdot "
    functions = {
        "sigmoid": r"\sigma\left({}\right)",
        "tanh": r"\tanh\left({}\right)",
        "relu": r"\operatorname{{relu}}\left({}\right)",
        "unit_step": r"\left[{} > 0\right]",
        "exp": r"e^{{{}}}",
        "log": r"\log\left({}\right)",
        "sin": r"\sin\left({}\right)",
        "cos": r"\cos\left({}\right)",
        "sqrt": r"\sqrt{{{}}}",
        "Abs": r"\left|{}\right|",
    }

    def name(self, name: Name) -> str:
        """A quantity's LaTeX name."""
        return name.latex

    def number(self, value: float) -> str:
        """A value, scientific notation as mantissa times a power of ten."""
        text = super().number(value)
        mantissa, _, exponent = text.partition("e")
        return rf"{mantissa} \times 10^{{{int(exponent)}}}" if exponent else text

    def const(self, value: Fraction) -> tuple[str, int]:
        """Integers plainly, fractions with \\frac."""
        if value.denominator == 1:
            return str(value.numerator), ATOM
        return rf"\frac{{{value.numerator}}}{{{value.denominator}}}", ATOM

    def gap(self, count: int) -> str:
        """Left-out terms."""
        return rf"\dots\text{{({count} terms)}}\dots"

    def blank(self) -> str:
        """A space to fill in."""
        return r"\underline{\hspace{2.5cm}}"

    def paren(self, text: str) -> str:
        """Auto-sized parentheses."""
        return rf"\left({text}\right)"

    def power(self, base: str, exponent: str) -> str:
        """base^{exponent}."""
        return f"{base}^{{{exponent}}}"

    def divide(self, numerator: Form, denominator: Form) -> tuple[str, int]:
        """\\frac{numerator}{denominator}."""
        return rf"\frac{{{self.print(numerator)}}}{{{self.print(denominator)}}}", ATOM

    def call(self, function: str, arg: str) -> str:
        """A function in LaTeX."""
        return self.functions.get(function, rf"\operatorname{{{function}}}\left({{}}\right)").format(arg)
