"""rnncalc graph: node gradients against an independent perturbation, DOT that Graphviz accepts, the tree."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from xml.etree import ElementTree

import pytest
from latex import require_program
from reference import loss_with_bump

from rnncalc import Problem
from rnncalc.features.graph import build_graph

X, G = [1.0, -0.5, 2.0], [0.0, 1.0, 0.5]
THETA = {"Wi": 1.0, "Wh": 1.0, "a": 1.0, "b": 1.0, "c": 1.0, "h0": 0.0}


@pytest.mark.parametrize("node", ["o", "h", "y"])
@pytest.mark.parametrize("t", [1, 2, 3])
def test_node_gradients_match_a_perturbation(node: str, t: int) -> None:
    graph = build_graph(Problem(x=X, g=G, activation="tanh"))
    step = 1e-6
    expected = (
        loss_with_bump(X, G, THETA, "tanh", node, t, step)
        - loss_with_bump(X, G, THETA, "tanh", node, t, -step)
    ) / (2 * step)
    assert graph.node(f"{node}_{t}").grad == pytest.approx(expected, rel=1e-6, abs=1e-9)


def test_every_edge_joins_known_nodes_and_the_graph_is_complete() -> None:
    graph = build_graph(Problem(x=X, g=G))
    ids = {n.id for n in graph.nodes}
    assert all(e.source in ids and e.target in ids for e in graph.edges)
    assert len(graph.nodes) == 5 * len(X) + 7 and len(graph.edges) == 11 * len(X)


def test_graphviz_accepts_the_dot_output(cli, tmp_path) -> None:
    program = require_program("dot")
    code, out, _ = cli("graph", "--x", "1", "0", "1")
    assert code == 0 and out.startswith("digraph rnncalc {")
    result = subprocess.run([program, "-Tsvg"], input=out, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "<svg" in result.stdout, result.stderr
    target = tmp_path / "graph.svg"
    assert cli("graph", "-o", str(target))[0] == 0 and target.read_text().lstrip().startswith("<?xml")


def test_drawing_without_graphviz_is_a_clear_error(cli, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    code, _, err = cli("graph", "-o", str(tmp_path / "graph.png"))
    assert code == 1 and "Graphviz" in err and err.count("\n") == 1
    assert not (tmp_path / "graph.png").exists()


def test_rich_tree_of_one_parameter(cli) -> None:
    code, out, _ = cli("graph", "--format", "rich", "--tree", "Wh")
    assert code == 0 and out.startswith("dL/dW_h = 0.087734")
    assert "via o_2: ∂o_2/∂W_h = h_1 = 0.880797  ×  dL/do_2 = δ_2 = 0.099608" in out


def test_json_graph(cli) -> None:
    data = json.loads(cli("graph", "-f", "json")[1])
    assert {n["id"] for n in data["nodes"]} >= {"Wi", "o_1", "h_2", "L"}


def _node_centres(svg: str) -> dict[str, tuple[float, float]]:
    """Each node's title (its id) and the position of its first line of text, from Graphviz's SVG."""
    root = ElementTree.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    centres = {}
    for group in root.iter(f"{ns}g"):
        if group.get("class") == "node":
            text = group.find(f"{ns}text")
            centres[group.find(f"{ns}title").text] = (float(text.get("x")), float(text.get("y")))
    return centres


@pytest.mark.parametrize("options", [[], ["--activation", "tanh", "--loss", "sse"], ["--preset", "jordan"]])
def test_the_picture_runs_left_to_right_by_time_step_and_fits_1200_px(cli, tmp_path, options) -> None:
    require_program("dot")
    png, svg = tmp_path / "graph.png", tmp_path / "graph.svg"
    assert cli("graph", *options, "-o", str(png))[0] == 0 and cli("graph", *options, "-o", str(svg))[0] == 0
    width, height = struct.unpack(">II", png.read_bytes()[16:24])
    assert 600 < width <= 1200 and height < width  # wide, not a 2930 px strip
    graph = build_graph(Problem(**({"preset": "jordan"} if "jordan" in options else {})))
    centres = _node_centres(svg.read_text(encoding="utf-8"))
    by_step = {t: [centres[n.id][0] for n in graph.nodes if n.t == t] for t in (1, 2)}
    assert max(by_step[1]) < min(by_step[2])  # every node of step 1 left of every node of step 2
    if not options:
        rows = ["x_0", "o_1", "h_1", "y_1", "L_1"]  # within a step the computation flows down
        assert [centres[r][1] for r in rows] == sorted(centres[r][1] for r in rows)


def test_a_long_sequence_keeps_its_steps_in_order(cli, tmp_path) -> None:
    require_program("dot")
    svg = tmp_path / "graph.svg"
    assert cli("graph", "--x", "1", "0", "1", "1", "-o", str(svg))[0] == 0
    centres = _node_centres(svg.read_text(encoding="utf-8"))
    xs = [centres[f"o_{t}"][0] for t in range(1, 5)]
    assert xs == sorted(xs)


def _label_boxes(svg: str) -> list[tuple[str, float, float, float, float]]:
    """Every edge label's box in the SVG Graphviz draws, a little wider than its text (0.6 em a character
    and 4 points of margin), so labels that only touch count as colliding."""
    import xml.etree.ElementTree as ET

    boxes = []
    for group in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}g"):
        if group.get("class") != "edge":
            continue
        for text in group.iter("{http://www.w3.org/2000/svg}text"):
            x, y, size = float(text.get("x")), float(text.get("y")), float(text.get("font-size"))
            width = len(text.text or "") * size * 0.6 + 4
            left = {"middle": x - width / 2, "end": x - width}.get(text.get("text-anchor", "start"), x)
            boxes.append((text.text or "", left, y - 0.8 * size, left + width, y + 0.2 * size))
    return boxes


@pytest.mark.parametrize(
    "args", [(), ("--x", "1", "0", "1"), ("--preset", "gru", "--x", "1", "0"), ("--x", "1", "-1", "0.5", "1")]
)
def test_edge_labels_never_collide_in_the_drawn_graph(cli, args) -> None:
    import shutil
    import subprocess

    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    code, dot, err = cli("graph", *args, "-f", "dot")
    assert code == 0, err
    svg = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, check=True).stdout
    boxes = _label_boxes(svg)
    assert boxes
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not (a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]), (a[0], b[0])


def test_rich_tree_of_a_matrix_adds_up_to_its_gradient(cli) -> None:
    # each branch is one step's share δ_t · x_{t-1}ᵀ with its value; the shares add up to dL/dW_i,
    # checked against central differences of a plain 40-digit loss (no rnncalc)
    from reference import vector_gradients

    x, g = [[1, 0], [0.5, 1]], [[1], [0]]
    params = {"Wi": [[1, 0.5], [0.2, 1]], "Wh": [[0.5, 0], [0, 0.5]], "b": [0, 0], "a": [[1, 1]], "c": [0]}
    args = ["--x", json.dumps(x), "--g", "1", "0", "--wi", json.dumps(params["Wi"])]
    args += ["--wh", json.dumps(params["Wh"]), "--a", json.dumps(params["a"]), "--b", "[0, 0]", "--c", "[0]"]
    code, out, err = cli("graph", "--format", "rich", "--tree", "Wi", "--digits", "9", *args)
    assert code == 0 and err == "" and "via o_1: δ_1 · x_0ᵀ = " in out and "W_hᵀ · δ_2" in out
    shares = [json.loads(line.rsplit(" = ", 1)[1]) for line in out.splitlines() if "── via o_" in line]
    assert len(shares) == 2
    total = [sum(share[i][j] for share in shares) for i in range(2) for j in range(2)]
    expected = vector_gradients(x, g, params, [0, 0], activation="sigmoid")["Wi"]
    assert total == pytest.approx([v for row in expected for v in row], rel=1e-7)
