"""The HTML export: one well-formed, self-contained page with MathML, every number of the JSON export,
user text escaped; for the derivation and the reports; and a real headless Chromium shows it."""

from __future__ import annotations

import json
import re
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import pytest
from latex import require_program

from rnncalc import Problem, Settings, check, derive, train
from rnncalc.features.grade import grade
from rnncalc.render import FORMATS, formats_of
from rnncalc.render.mathml import mathml
from rnncalc.render.number_format import format_given, format_number

VOID = {"meta", "br", "hr", "img", "link", "input", "col", "area", "base", "source", "wbr"}
MATHML = "{http://www.w3.org/1998/Math/MathML}"
HOSTILE = "o = Wi*x + Wh*h_prev + b  # </code><script>alert(1)</script> & x<y &amp;"


class Balance(HTMLParser):
    """Checks that every element is closed, in order, and collects what a reader sees."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1:]}>"
        self.open.pop()

    def handle_data(self, data: str) -> None:
        if "style" not in self.open and "title" not in self.open:
            self.text.append(data)


def parse(page: str) -> tuple[ElementTree.Element, Balance]:
    """The page as XML (it is well-formed) and as HTML (every element closed, in order)."""
    assert page.startswith("<!DOCTYPE html>\n") and page.isascii()
    balance = Balance()
    balance.feed(page)
    balance.close()
    assert balance.open == [], balance.open
    return ElementTree.fromstring(page.split("\n", 1)[1]), balance


def numbers_in(value: object) -> list[float]:
    """Every number in JSON data (booleans are not numbers)."""
    if isinstance(value, dict):
        return [n for v in value.values() for n in numbers_in(v)]
    if isinstance(value, list):
        return [n for v in value for n in numbers_in(v)]
    return [value] if isinstance(value, (int, float)) and not isinstance(value, bool) else []


def test_html_is_a_registered_format_for_derivations_and_reports() -> None:
    assert FORMATS["html"].extensions == (".html", ".htm")
    for kind in ("Derivation", "CheckReport", "Training", "Grade"):
        assert "html" in formats_of(kind)
    assert "html" not in formats_of("Graph")


DERIVATIONS = {
    "worked": lambda: derive(Problem()),
    "results": lambda: derive(Problem(), steps=False),
    "exact-both": lambda: derive(Problem(), Settings(exact=True), method="both"),
    "leaky-hand": lambda: derive(
        Problem(activation="leaky_relu", x=[1, "-1/3"]), Settings(round_intermediate=True)
    ),
    "tiny": lambda: derive(Problem(x=[1e-9, 0]), Settings(digits=3)),
    "blank": lambda: derive(Problem(activation="softplus"), scope="forward").blanked(),
    "gru": lambda: derive(Problem(preset="gru"), method="both"),
    "lstm-results": lambda: derive(Problem(preset="lstm"), steps=False),
    "jordan-blank": lambda: derive(Problem(preset="jordan"), steps=False).blanked(),
    "rules-sheet": lambda: derive(Problem()).blanked("rules"),
    "both-sheet": lambda: derive(Problem(preset="gru", x=(1,))).blanked("both"),
}


@pytest.mark.parametrize("name", DERIVATIONS)
def test_derivation_page_is_well_formed_with_mathml(name: str) -> None:
    derivation = DERIVATIONS[name]()
    root, balance = parse(derivation.to_html())
    maths = list(root.iter(f"{MATHML}math"))
    assert maths and not [m for m in maths if m.get("class") == "latex"], "latex2mathml refused a formula"
    assert not [t for m in maths for e in m.iter() for t in [e.text or ""] if "\\" in t], "LaTeX left over"
    assert {"script", "link", "img", "iframe"}.isdisjoint(balance.tags)
    assert "default-src 'none'" in derivation.to_html()


@pytest.mark.parametrize("name", ["worked", "gru"])
def test_every_number_of_the_json_export_is_on_the_page(name: str) -> None:
    derivation = DERIVATIONS[name]()
    data = json.loads(derivation.to_json())
    root, balance = parse(derivation.to_html())
    shown = set(re.findall(r"\d+(?:\.\d+)?(?:e-?\d+)?", " ".join(balance.text)))
    exact = {float(e.get("data-value", "nan")) for e in root.iter() if e.get("data-value")}
    skipped = ("rnncalc", "input_gradients")  # dL/dx_t is data for checking course code, not on the page
    for number in numbers_in({k: v for k, v in data.items() if k not in skipped}):
        assert number in exact or {format_given(abs(number), 6), format_number(abs(number), 6)} & shown, (
            number
        )
    steps = {(e.get("data-key"), float(e.get("data-value", "nan"))) for e in root.iter("tbody")}
    given = " ".join(e.get("title", "") for e in root.iter("tbody") if e.get("class") == "known")
    for section in data["derivation"]:
        for step in section["steps"]:
            if section["key"] == "known":
                assert f"{step['name']} = {step['value']!r}" in given, step
            else:
                assert step["value"] is None or (step["key"], step["value"]) in steps, step
    results = {e.get("data-key"): e for e in root.iter("tr") if e.get("data-key")}
    for key, value in [*data["gradients"].items(), ("loss", data["loss"])]:
        assert float(results[key].find("td[@data-value]").get("data-value")) == value


def test_an_exercise_sheet_gives_no_value_away() -> None:
    page = derive(Problem()).blanked().to_html()
    root, _ = parse(page)
    assert not [e for e in root.iter() if e.get("data-value") and e.tag == "tbody"]
    assert 'class="blank"' in page and "0.102936" not in page and "0.880797" not in page


def test_user_text_never_reaches_the_page_raw(cli) -> None:
    """Text after a # would be shown but never read: it is refused, and what is shown is escaped."""
    code, out, err = cli(
        "grads", "--cell", HOSTILE, "--cell", "h = tanh(o)", "--cell", "y = a*h + c", "-f", "html"
    )
    assert code == 2 and out == "" and "comments (#) are not allowed" in err
    equation = HOSTILE.partition("#")[0].strip()
    code, out, err = cli(
        "grads", "--cell", equation, "--cell", "h = tanh(o)", "--cell", "y = a*h + c", "-f", "html"
    )
    assert code == 0, err
    root, balance = parse(out)
    assert "script" not in balance.tags
    assert equation in [e.text for e in root.iter("code")]


def test_mathml_escapes_what_latex2mathml_leaves_raw() -> None:
    element = ElementTree.fromstring(mathml(r"a < b \text{ x<y & z}"))
    assert "".join(element.itertext()).replace("\xa0", " ") == "a<b x<y & z"


def test_operator_names_stay_whole() -> None:
    element = ElementTree.fromstring(mathml(r"\operatorname{leaky\_relu}\left(x\right)"))
    assert [e.text for e in element.iter(f"{MATHML}mo")][0] == "leaky_relu"


@pytest.mark.parametrize("kind", ["check", "train", "grade"])
def test_reports_are_pages(kind: str) -> None:
    result = {
        "check": lambda: check(Problem()),
        "train": lambda: train(Problem(), 0.5, 3),
        "grade": lambda: grade(Problem(), {"h_1": 0.880797, "dWi": 0.2}),
    }[kind]()
    page = result.render("html", show_steps=True)
    root, balance = parse(page)
    text = " ".join(balance.text)
    data = result.to_data()
    if kind == "check":
        assert f"{data['rows'][0]['chain_rule']:.10f}" in text and "✓" in text
    if kind == "train":
        assert format_number(data["history"][-1]["loss"], 6) in text
        assert list(root.iter(f"{MATHML}math")), "the first update as MathML"
    if kind == "grade":
        assert "0.880797" in text and 'class="bad"' in page and 'class="good"' in page


def test_the_cli_writes_html_from_the_extension_or_the_format(cli) -> None:
    assert cli("grads", "--show-steps", "-o", "derivation.html")[0] == 0
    assert cli("check", "-o", "check.htm")[0] == 0
    code, out, _ = cli("train", "--epochs", "2", "--format", "html")
    assert code == 0 and "<h1>Gradient descent</h1>" in out
    for name in ("derivation.html", "check.htm"):
        parse(Path(name).read_text(encoding="utf-8"))
    code, _, err = cli("grads", "-f", "html", "--fragment")
    assert code == 2 and "LaTeX output only" in err


def non_white_pixels(png: bytes) -> int:
    """Pixels of an 8-bit RGB(A) PNG that are not near white, decoded by hand (zlib, the five filters)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks, header = 8, [], b""
    while position < len(png):
        length, kind = struct.unpack(">I4s", png[position : position + 8])
        body = png[position + 8 : position + 8 + length]
        header = body if kind == b"IHDR" else header
        chunks += [body] if kind == b"IDAT" else []
        position += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    channels = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(b"".join(chunks)), width * channels
    previous, count = bytearray(stride), 0
    for y in range(height):
        kind, row = raw[y * (stride + 1)], raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]
        line = _unfilter(kind, row, previous, channels)
        if line.count(255) != stride:
            count += sum(1 for x in range(0, stride, channels) if min(line[x : x + 3]) < 200)
        previous = line
    return count


def _unfilter(kind: int, row: bytes, previous: bytearray, channels: int) -> bytearray:
    """One scanline with its PNG filter undone (None, Sub, Up, Average, Paeth)."""
    if kind == 0:
        return bytearray(row)
    if kind == 2:
        return bytearray((a + b) & 0xFF for a, b in zip(row, previous))
    line = bytearray(row)
    for i in range(len(line)):
        left = line[i - channels] if i >= channels else 0
        up, corner = previous[i], previous[i - channels] if i >= channels else 0
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (left + up) // 2) & 0xFF
        else:
            p = left + up - corner
            guess = min((abs(p - left), 0, left), (abs(p - up), 1, up), (abs(p - corner), 2, corner))[2]
            line[i] = (line[i] + guess) & 0xFF
    return line


def chromium(page: Path, *flags: str) -> str:
    """Load a page in headless Chromium; fail on any console message (the page has no script to log)."""
    program = require_program("chromium-headless-shell")
    command = [program, "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0", *flags]
    run = subprocess.run([*command, page.as_uri()], capture_output=True, text=True, timeout=120)
    console = [line for line in run.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
    assert run.returncode == 0 and not console, console or run.stderr[-2000:]
    return run.stdout


@pytest.mark.slow  # a document typeset or a browser started: the slow tier (.ci/run)
def test_chromium_loads_the_page_without_errors(tmp_path: Path) -> None:
    page = tmp_path / "derivation.html"
    page.write_text(derive(Problem()).to_html(), encoding="utf-8")
    dom = chromium(page, "--dump-dom")
    assert dom.count("<math") > 50 and "0.102936" in dom and "<mfrac>" in dom


@pytest.mark.slow
def test_chromium_draws_the_page(tmp_path: Path) -> None:
    page, shot = tmp_path / "derivation.html", tmp_path / "shot.png"
    page.write_text(derive(Problem()).to_html(), encoding="utf-8")
    chromium(page, f"--screenshot={shot}", "--window-size=900,1000")
    assert 15_000 < non_white_pixels(shot.read_bytes()) < 900 * 1000 // 4, "text on a white page"


@pytest.mark.slow
def test_a_printed_sheet_has_no_scrollbars_and_room_to_write(tmp_path: Path) -> None:
    """The exercise sheet printed to PDF by headless Chromium: several pages, the name line on the first,
    the right margin pure white on every page (a scrollbar's track was drawn there), and the forward
    pass's lines, where the answers go, at least 30 points (about 1 cm) apart."""
    pdfium = pytest.importorskip("pypdfium2")
    page, printed = tmp_path / "sheet.html", tmp_path / "sheet.pdf"
    page.write_text(derive(Problem()).blanked("values").to_html(), encoding="utf-8")
    chromium(page, f"--print-to-pdf={printed}", "--no-pdf-header-footer")
    document = pdfium.PdfDocument(printed)
    assert len(document) >= 3
    first = document[0].get_textpage()
    assert "Name:" in first.get_text_range()
    for number in range(len(document)):
        image = document[number].render(scale=1).to_pil().convert("L")
        width, height = image.size
        margin = image.crop((width - 40, 0, width, height))
        assert margin.getextrema()[0] == 255, f"page {number + 1}: something drawn in the right margin"
    equals = [i for i in range(first.count_chars()) if first.get_text_range(i, 1) == "="]
    rows = sorted({round(first.get_charbox(i)[1]) for i in equals})
    gaps = [b - a for a, b in zip(rows, rows[1:]) if b - a > 12]  # two = on one line are not two rows
    assert gaps and min(gaps) >= 30, f"lines {gaps} points apart: no room to write"
