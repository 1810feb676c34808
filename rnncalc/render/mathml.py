"""LaTeX to MathML for the HTML page: latex2mathml's tree, written out with every text escaped."""

from __future__ import annotations

import functools
import re
from xml.etree.ElementTree import Element, SubElement, tostring

CHARACTER = re.compile(r"&#x([0-9A-Fa-f]+);")
BLANK = re.compile(r"\\underline\{\\hspace\{([0-9.]+)em\}\}")
"""A space to fill in as LatexPrinter writes it; on the page it becomes a box as wide as its digits:
latex2mathml cannot draw \\hspace, and Chromium draws no <menclose>, so the box becomes
<mrow class="blank">, underlined by the page's CSS."""


@functools.lru_cache(maxsize=1 << 14)
def mathml(latex: str, display: bool = False) -> str:
    """One formula as a <math> element (display style when ``display``), safe to put in a page."""
    from latex2mathml.converter import convert_to_element

    try:
        root = convert_to_element(BLANK.sub(_boxed, latex))
    except Exception:  # latex2mathml refuses a command: show the LaTeX itself rather than fail
        root = Element("math", {"xmlns": "http://www.w3.org/1998/Math/MathML", "class": "latex"})
        SubElement(root, "mtext").text = latex
    root.attrib.pop("display", None)
    if display:
        root.set("displaystyle", "true")
    for element in list(root.iter()):
        element.text = _characters(element.text)
        if element.tag == "menclose":
            element.tag, element.attrib = "mrow", {"class": "blank"}
        _join_operator_name(element)
    return tostring(root, encoding="unicode", short_empty_elements=True)


def _boxed(blank: re.Match[str]) -> str:
    """A blank \\hspace{w em} as an empty box of as many digits (a digit is half an em)."""
    digits = max(int(2 * (float(blank[1]) - 1)), 1)
    return rf"\boxed{{\phantom{{{'0' * digits}}}}}"


def _characters(text: str | None) -> str | None:
    """latex2mathml writes symbols as character references inside the text: make them characters."""
    return CHARACTER.sub(lambda match: chr(int(match[1], 16)), text) if text else text


def _join_operator_name(element: Element) -> None:
    """``\\operatorname{leaky\\_relu}`` comes out as an empty <mo> and a row of letters: one <mo>."""
    children = list(element)
    for operator, letters in zip(children, children[1:]):
        if operator.tag == "mo" and not operator.text and len(operator) == 0 and letters.tag == "mrow":
            if all(len(letter) == 0 and letter.tag in ("mi", "mtext") for letter in letters):
                operator.text = "".join(_characters(letter.text) or "" for letter in letters)
                element.remove(letters)
