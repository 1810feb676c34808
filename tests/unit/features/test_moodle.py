"""Quizzes for the course site: Moodle XML (the elements Moodle's importer reads) and variants of a
problem drawn from a seed; the answers checked against the reference, not against rnncalc's output."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from reference import symbolic_gradients

from rnncalc import Problem
from rnncalc.features.quiz import quizzes
from rnncalc.features.variants import variants
from rnncalc.render.moodle import render


def numerical(root: ET.Element) -> dict[str, ET.Element]:
    """The numerical questions by the line they ask for (the name after the number)."""
    return {q.findtext("name/text").split(" ", 1)[1]: q for q in root if q.get("type") == "numerical"}


def test_every_line_is_a_numerical_question_moodle_can_import() -> None:
    root = ET.fromstring(render(quizzes([Problem()], 6), "moodle"))
    assert root.tag == "quiz" and root[0].get("type") == "category"
    questions = numerical(root)
    for name, question in questions.items():
        text = question.find("questiontext")
        assert text is not None and text.get("format") == "html" and text.findtext("text")
        assert question.findtext("defaultgrade") == "1" and question.findtext("generalfeedback/text"), name
        answers = question.findall("answer")
        assert answers and all(a.get("fraction") == "100" for a in answers), name
        assert all(float(a.findtext("tolerance")) == pytest.approx(5e-7, rel=1e-2) for a in answers)
        float(answers[0].findtext("text"))  # a number Moodle can read
    h_1 = float(questions["h_1"].findtext("answer/text"))
    assert h_1 == pytest.approx(1 / (1 + math.exp(-2)), abs=1e-12)
    exact = symbolic_gradients([1, 0], [1, 1], {"Wi": 1, "Wh": 1, "a": 1, "b": 1, "c": 1, "h0": 0})
    dwi = [float(a.findtext("text")) for a in questions["dL/dW_i"].findall("answer")]
    assert dwi[0] == pytest.approx(exact["Wi"], abs=1e-12)
    assert len(dwi) == 2 and round(dwi[1], 6) == 0.102937  # hand-rounded as the sheet says, also right


def test_variants_keep_the_shape_and_the_seed_gives_the_same_quiz() -> None:
    base = Problem(x=[1, 0, 0.5], g=["_", 1, 0.5], params={"Wh": "0.5"})
    drawn = variants(base, 4, seed=7)
    assert [p.x for p in drawn] == [p.x for p in variants(base, 4, seed=7)]
    assert [p.x for p in drawn] != [p.x for p in variants(base, 4, seed=8)]
    assert len({p.x for p in drawn}) == 4 and all(p.targets == base.targets for p in drawn)
    vector = Problem(x=[[1, 0], [0, 1]], params={"Wh": [[0.5, 0.1], [0.2, 0.3]]})
    assert all(v.arrays.params["Wh"].shape == (2, 2) for v in variants(vector, 3, seed=1))
    for v in drawn:  # well-conditioned: no unit saturated
        h = 0.0
        for xt in v.x_floats:
            o = float(v.params["Wi"]) * xt + float(v.params["Wh"]) * h + float(v.params["b"])
            assert abs(o) <= 4
            h = 1 / (1 + math.exp(-o))


def test_quiz_writes_a_moodle_file_with_a_category_per_variant(cli, tmp_path: Path) -> None:
    target = tmp_path / "quiz.xml"
    code, _, err = cli("quiz", "--variants", "3", "--seed", "4", "-o", str(target))
    assert code == 0 and "wrote" in err
    root = ET.parse(target).getroot()
    categories = [q.findtext("category/text") for q in root if q.get("type") == "category"]
    assert len(categories) == 3 and categories[0].endswith("variant 1")
    code, _, err = cli("quiz", "-o", str(tmp_path / "quiz.md"))
    assert code == 2 and "Moodle XML" in err
    code, out, _ = cli("quiz", "-f", "moodle", "--x", "[[1, 0]]", "--wh", "[[0.5, 0.1], [0.2, 0.3]]")
    names = numerical(ET.fromstring(out))
    assert code == 0 and "h_1[1]" in names and "dL/dW_h[2,1]" in names  # a vector's entries, one each
