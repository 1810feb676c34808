"""rnncalc graph: node gradients against an independent perturbation, DOT that Graphviz accepts, the tree."""

from __future__ import annotations

import json
import shutil
import subprocess

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
    assert graph.node(f"{node}{t}").grad == pytest.approx(expected, rel=1e-6, abs=1e-9)


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
    code, out, _ = cli("graph", "--format", "rich", "--param", "Wh")
    assert code == 0 and out.startswith("dL/dW_h = 0.087734")
    assert "via o_2: do_2/dW_h = h_1 = 0.880797  ×  dL/do_2 = δ_2 = 0.099608" in out


def test_json_graph(cli) -> None:
    data = json.loads(cli("graph", "-f", "json")[1])
    assert {n["id"] for n in data["nodes"]} >= {"Wi", "o1", "h2", "L"}
