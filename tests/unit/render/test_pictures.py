"""Pictures (issue 14, item 6): the loss curve and the gradient through time, drawn with matplotlib."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

image = pytest.importorskip("matplotlib.image")


def _inked_fraction(path: Path) -> float:
    """The share of pixels that are not white."""
    pixels = image.imread(str(path))[:, :, :3]
    return float((pixels.sum(axis=2) < 2.9).mean())


def test_train_draws_its_loss_curve_as_png(cli, tmp_path: Path) -> None:
    target = tmp_path / "loss.png"
    code, _, err = cli("train", "--epochs", "10", "-o", str(target))
    assert code == 0, err
    assert image.imread(str(target)).shape[:2] == (400, 640)
    assert _inked_fraction(target) > 0.02  # axes, labels and the curve


def test_flow_draws_the_gradient_through_time_as_svg(cli, tmp_path: Path) -> None:
    target = tmp_path / "flow.svg"
    code, _, err = cli("grads", "--flow", "--x", *["1"] * 12, "-o", str(target))
    assert code == 0, err
    root = ET.parse(target).getroot()
    assert root.tag.endswith("svg")
    assert sum(1 for e in root.iter() if e.tag.endswith("path")) > 12  # a bar per step, and the axes


def test_a_flow_picture_without_flow_is_one_line(cli, tmp_path: Path) -> None:
    code, _, err = cli("grads", "-o", str(tmp_path / "flow.png"))
    assert code == 1 and err.startswith("rnncalc: error:") and "--flow" in err
    assert not (tmp_path / "flow.png").exists()


def test_without_matplotlib_the_error_names_the_extra(cli, tmp_path: Path, monkeypatch) -> None:
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code, _, err = cli("train", "--epochs", "2", "-o", str(tmp_path / "loss.svg"))
    assert code == 1 and 'pip install "rnncalc[plot]"' in err
    assert not (tmp_path / "loss.svg").exists()


def _drawn(monkeypatch, draw):
    """The matplotlib figure a picture function draws (captured before it is saved)."""
    from rnncalc.render import pictures

    figures = []
    monkeypatch.setattr(pictures, "_saved", lambda figure, fmt: figures.append(figure) or b"")
    draw(pictures)
    return figures[0]


def _inside(figure, artist) -> bool:
    """The artist's drawn box lies within the figure."""
    figure.canvas.draw()
    box, frame = artist.get_window_extent(), figure.bbox
    return box.x0 >= frame.x0 - 1 and box.x1 <= frame.x1 + 1 and box.y1 <= frame.y1 + 1


def test_pictures_have_whole_ticks_and_titles_that_fit(monkeypatch) -> None:
    from rnncalc import Problem, Settings, derive, train

    loss = _drawn(monkeypatch, lambda p: p.loss_picture(train(Problem(), epochs=3), "png"))
    ticks = [t for t in loss.axes[0].get_xticks() if 0 <= t <= 3]
    assert ticks and all(float(t).is_integer() for t in ticks)  # no epoch 2.5
    assert _inside(loss, loss.axes[0].title)
    problem = Problem(x=[1] * 12)
    derivation = derive(problem, Settings(flow=True))
    flow = _drawn(monkeypatch, lambda p: p.flow_picture(derivation, "png"))
    axes = flow.axes[0]
    assert _inside(flow, axes.title) and "$" in axes.get_ylabel()  # the label is math, not raw text
    assert all(float(t).is_integer() for t in axes.get_xticks())


def test_a_notebook_shows_the_loss_curve_and_the_gradient_through_time() -> None:
    from rnncalc import Problem, Settings, derive, train

    run = train(Problem(), epochs=3)
    assert run._repr_svg_().lstrip().startswith("<?xml") and "<svg" in run._repr_svg_()
    flow = derive(Problem(x=[1] * 5), Settings(flow=True))
    html = flow._repr_html_()
    assert html.startswith("<figure><svg") and "The gradient through time" in html
    assert derive(Problem())._repr_svg_() is None  # no picture to show: the derivation's HTML alone
