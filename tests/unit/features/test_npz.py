"""--config p.npz and a problem file's ``arrays = "p.npz"``: arrays by name, as students save them with
np.savez; each checked against the same problem written as TOML, and nothing in an archive ever runs."""

from __future__ import annotations

import json
import pickle
import tomllib
import zipfile
from pathlib import Path

import numpy as np
import pytest
from paths import EXAMPLES

from rnncalc import Settings, derive, load


def gradients(cli, *args: str) -> dict:
    """The JSON gradients of a grads run (exit status 0 required)."""
    code, out, err = cli("grads", *args, "-f", "json")
    assert code == 0, err
    return json.loads(out)["gradients"]


def test_a_vector_problem_from_an_archive_is_the_same_problem_as_toml(cli, tmp_path: Path) -> None:
    x, wh, h0 = [[0.1, 0.2], [0.3, 0.1], [0.5, -1.0]], [[0.5, 0.1], [0.2, 0.3]], [0.2, 0.1]
    np.savez(
        tmp_path / "p.npz", x=np.array(x), Wh=np.array(wh), h0=np.array(h0), g=np.array([5.0, np.nan, 2.0])
    )
    (tmp_path / "p.toml").write_text(f'x = {x}\nh0 = {h0}\ng = [5, "_", 2]\n[params]\nWh = {wh}\n')
    from_npz = gradients(cli, "--config", str(tmp_path / "p.npz"))
    assert from_npz == gradients(cli, "--config", str(tmp_path / "p.toml"))
    assert load(tmp_path / "p.npz").targets == (True, False, True)


def test_cs231n_lstm_step_from_the_notebooks_arrays(cli, tmp_path: Path) -> None:
    """The notebook's own names (x, prev_h, prev_c, Wx, Wh, b) in an archive, beside the TOML example."""
    example = tomllib.loads((EXAMPLES / "cs231n-lstm-step.toml").read_text())
    np.savez(
        tmp_path / "step.npz",
        x=np.array(example["x"]),
        prev_h=np.array(example["init"]["h"]),
        prev_c=np.array(example["init"]["c"]),
        **{name: np.array(value) for name, value in example["params"].items()},
    )
    args = ("forward", "-f", "json", "--convention", "cs231n", "--preset", "lstm")
    ours = cli(*args, "--config", str(tmp_path / "step.npz"))
    theirs = cli("forward", "-f", "json", "--config", str(EXAMPLES / "cs231n-lstm-step.toml"))
    assert ours[0] == 0 and json.loads(ours[1])["forward"] == json.loads(theirs[1])["forward"]


def test_a_toml_file_names_its_arrays_and_its_own_values_come_first(tmp_path: Path) -> None:
    np.savez(tmp_path / "a.npz", x=np.array([1.0, 0.0]), Wi=np.array(2.0), Wh=np.array(0.5))
    (tmp_path / "p.toml").write_text('arrays = "a.npz"\ng = [1, 0]\n[params]\nWh = 3\n')
    problem = load(tmp_path / "p.toml")
    assert problem.params["Wi"] == 2 and problem.params["Wh"] == 3 and problem.x == (1, 0)
    assert derive(problem, Settings(), steps=False).gradients.keys() >= {"Wi", "Wh"}


class Planted:
    """An object whose unpickling would write a file: the archive must never get that far."""

    def __reduce__(self):
        return (Path.write_text, (Path(PLANTED), "ran"))


PLANTED = ""


def test_an_archive_never_runs_code_and_bad_ones_are_one_line_errors(cli, tmp_path: Path) -> None:
    global PLANTED
    PLANTED = str(tmp_path / "planted.txt")
    np.savez(tmp_path / "pickled.npz", x=np.array([1.0]), Wi=np.array([Planted()], dtype=object))
    code, _, err = cli("grads", "--config", str(tmp_path / "pickled.npz"))
    assert code != 0 and not Path(PLANTED).exists() and "Traceback" not in err and err.count("\n") == 1
    (tmp_path / "plain.pkl.npz").write_bytes(pickle.dumps(Planted()))
    code, _, err = cli("grads", "--config", str(tmp_path / "plain.pkl.npz"))
    assert code != 0 and not Path(PLANTED).exists() and "not a NumPy .npz archive" in err
    np.save(tmp_path / "one.npy", np.array([1.0]))
    (tmp_path / "one.npz").write_bytes((tmp_path / "one.npy").read_bytes())
    code, _, err = cli("grads", "--config", str(tmp_path / "one.npz"))
    assert code != 0 and "np.savez" in err
    np.savez(tmp_path / "text.npz", x=np.array(["1", "2"]))
    code, _, err = cli("grads", "--config", str(tmp_path / "text.npz"))
    assert code != 0 and "not numbers" in err
    np.savez(tmp_path / "nox.npz", Wi=np.array(1.0))
    assert "no array named x" in cli("grads", "--config", str(tmp_path / "nox.npz"))[2]


def test_a_compressed_bomb_is_refused_before_it_is_read(cli, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.npz"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("x.npy", b"\0" * 80_000_000)  # 80 MB of zeros, a few kB on disk
    assert bomb.stat().st_size < 1_000_000
    code, _, err = cli("grads", "--config", str(bomb))
    assert code != 0 and "bytes of arrays, above" in err


@pytest.mark.parametrize("target", [[1.0, np.nan], [[1.0, 2.0], [np.nan, 2.0]]])
def test_nan_marks_a_step_without_a_target_only_whole(cli, tmp_path: Path, target) -> None:
    x = [1.0, 0.0] if np.ndim(target) == 1 else [[1.0, 0.0], [0.0, 1.0]]
    np.savez(tmp_path / "t.npz", x=np.array(x), g=np.array(target))
    code, _, err = cli("grads", "--config", str(tmp_path / "t.npz"))
    if np.ndim(target) == 1:
        assert code == 0
    else:
        assert code != 0 and "NaN in part of a step's target" in err


def test_a_students_arrays_are_graded_by_their_names(cli, tmp_path: Path) -> None:
    """np.savez of what a backward function returns (dWi, dx, dh0): each entry marked against the
    reference's finite differences; a planted slip is marked wrong, an unknown name is named."""
    from reference import finite_differences, loss

    theta = {"Wi": 1.0, "Wh": 1.0, "a": 1.0, "b": 1.0, "c": 1.0, "h0": 0.0}
    x, g = [1.0, 0.0], [1.0, 1.0]
    fd = finite_differences(x, g, theta)

    def moved(i: int, by: float) -> float:
        return loss([v + by if j == i else v for j, v in enumerate(x)], g, theta)

    dx = [(moved(i, 1e-6) - moved(i, -1e-6)) / 2e-6 for i in range(len(x))]
    np.savez(tmp_path / "mine.npz", dWi=np.array(fd["Wi"]), dx=np.array(dx), dh0=np.array(fd["h0"] + 0.1))
    code, out, err = cli("grade", str(tmp_path / "mine.npz"), "--x", "1", "0", "-f", "json")
    marks = {m["name"]: m["ok"] for m in json.loads(out)["marks"]}
    assert code == 1 and marks == {"dL/dW_i": True, "dL/dx[1]": True, "dL/dx[2]": True, "dL/dh_0": False}
    np.savez(tmp_path / "typo.npz", dWq=np.array(1.0))
    code, _, err = cli("grade", str(tmp_path / "typo.npz"), "--x", "1", "0")
    assert code == 2 and "no quantity named 'dWq'" in err


def test_a_students_array_slips_are_named_once_per_array(cli, tmp_path: Path) -> None:
    """Against a NumPy loop written here: dWh transposed, dWi with the sign flipped, db without the path
    through time (each step's direct term only), and per-step h with the time axis first."""
    from reference import central_differences

    x = np.array([[0.5, -1.0], [0.3, 0.8], [-0.6, 0.2]])
    g = np.array([[0.4], [-0.2], [0.7]])
    p = {"Wi": np.array([[0.7, -0.4], [0.2, 0.9]]), "Wh": np.array([[1.1, -0.6], [0.5, 0.8]])}
    p |= {"b": np.array([0.1, -0.2]), "a": np.array([[0.3, -0.5]]), "c": np.array([0.1])}

    def states(v: dict) -> list[np.ndarray]:
        h = [np.zeros(2)]
        for row in x:
            h.append(np.tanh(v["Wi"] @ row + v["Wh"] @ h[-1] + v["b"]))
        return h

    def loss(v: dict) -> float:
        return float(sum(np.sum((v["a"] @ h + v["c"] - t) ** 2) for h, t in zip(states(v)[1:], g)) / 3)

    full = central_differences(loss, p)
    h = states(p)
    direct = sum(  # δ_t of L_t alone, its own step's term of dL/db
        (p["a"].T @ (2 / 3 * (p["a"] @ h[t] + p["c"] - g[t - 1]))) * (1 - h[t] ** 2) for t in range(1, 4)
    )
    np.savez(tmp_path / "mine.npz", dWh=full["Wh"].T, dWi=-full["Wi"], db=direct, h=np.array(h[1:]))
    problem = tmp_path / "p.toml"
    problem.write_text(
        f"x = {x.tolist()}\ng = {g.tolist()}\nh0 = [0, 0]\nactivation = 'tanh'\n[params]\n"
        + "".join(f"{k} = {v.tolist()}\n" for k, v in p.items())
    )
    code, out, _ = cli("grade", str(tmp_path / "mine.npz"), "--config", str(problem), "--width", "0")
    assert code == 1
    assert "dL/dW_h (2 entries): transposed" in out
    assert "dL/dW_i (4 entries): the sign is flipped" in out
    assert "dL/db (2 entries): the path through time is missing" in out
    marks = json.loads(cli("grade", str(tmp_path / "mine.npz"), "--config", str(problem), "-f", "json")[1])
    assert all(m["ok"] for m in marks["marks"] if m["name"].startswith("h_"))  # h_1[1] ... h_3[2]
    assert sum(m["name"].startswith("h_") for m in marks["marks"]) == 6


def test_a_stacked_gradient_in_another_gate_order_is_named(cli, tmp_path: Path) -> None:
    """CS231n's dWx (D × 4H, gates i, f, o, g) handed in with PyTorch's gate order i, f, g, o: against
    central differences of CS231n's LSTM written out in the test."""
    from reference import central_differences

    rng = np.random.default_rng(4)
    N, T, D, H = 1, 2, 2, 2
    v = {"Wx": rng.uniform(-1, 1, (D, 4 * H)).round(2), "Wh": rng.uniform(-1, 1, (H, 4 * H)).round(2)}
    v["b"] = rng.uniform(-1, 1, 4 * H).round(2)
    x, h0, dh = (rng.uniform(-1, 1, shape).round(2) for shape in ((N, T, D), (N, H), (N, T, H)))

    def loss(w: dict) -> float:
        h, c, total = h0, np.zeros_like(h0), 0.0
        for t in range(T):
            a = x[:, t] @ w["Wx"] + h @ w["Wh"] + w["b"]
            i, f, o = (1 / (1 + np.exp(-a[:, k * H : (k + 1) * H])) for k in range(3))
            c = f * c + i * np.tanh(a[:, 3 * H :])
            h = o * np.tanh(c)
            total += float(np.sum(dh[:, t] * h))
        return total

    blocks = np.split(central_differences(loss, v)["Wx"], 4, axis=1)  # i, f, o, g
    np.savez(tmp_path / "mine.npz", dWx=np.concatenate([blocks[k] for k in (0, 1, 3, 2)], axis=1))
    problem = tmp_path / "p.toml"
    problem.write_text(
        f"convention = 'cs231n'\npreset = 'lstm'\nx = {x.tolist()}\nupstream = {dh.tolist()}\n"
        f"[init]\nh = {h0.tolist()}\n[params]\n" + "".join(f"{k} = {w.tolist()}\n" for k, w in v.items())
    )
    code, out, _ = cli("grade", str(tmp_path / "mine.npz"), "--config", str(problem), "--width", "0")
    assert code == 1
    assert "the blocks stacked in the order i, f, g, o, where cs231n stacks i, f, o, g" in out


def test_a_batch_gradient_summed_where_the_loss_is_the_mean_is_named(cli, tmp_path: Path) -> None:
    """Two sequences of three steps, the batch loss their mean: a dWh of the summed losses is 2 times the
    answer, against central differences of the batch written out here."""
    from reference import central_differences

    x = np.array([[[1.0], [0.5], [-1.0]], [[0.2], [0.0], [0.7]]])
    g = np.array([[[0.3], [0.1], [0.5]], [[-0.2], [0.4], [0.0]]])
    v = {"Wh": np.array([[0.5]]), "Wi": np.array([[0.8]])}

    def summed(w: dict) -> float:
        total = 0.0
        for xs, gs in zip(x, g):
            h = np.zeros(1)
            for row, target in zip(xs, gs):
                h = np.tanh(w["Wi"] @ row + w["Wh"] @ h)
                total += float(np.sum((h - target) ** 2)) / 3
        return total

    np.savez(tmp_path / "mine.npz", dWh=central_differences(summed, v)["Wh"])
    problem = tmp_path / "p.toml"
    problem.write_text(
        f"x = {x.tolist()}\ng = {g.tolist()}\nactivation = 'tanh'\n[params]\nWh = [[0.5]]\nWi = [[0.8]]\n"
        "a = [[1]]\nc = [0]\nb = [0]\n"
    )
    code, out, _ = cli("grade", str(tmp_path / "mine.npz"), "--config", str(problem), "--width", "0")
    assert (
        code == 1 and "2 times the answer: the batch's gradients summed where its loss is their mean" in out
    )


def test_weights_on_x_and_a_prev_stacked_the_other_way_are_named(cli, tmp_path: Path) -> None:
    """deeplearning.ai's dWf acts on [a_prev; x] (n_a × (n_a + n_x)); a student's on [x; a_prev] has its
    blocks of unequal widths swapped: against central differences of the course's LSTM (reference.py)."""
    from reference import central_differences, dlai_lstm_loss

    rng = np.random.default_rng(6)
    n_x, n_a, T = 3, 2, 2
    v = {"x": rng.uniform(-1, 1, (n_x, 1, T)).round(2), "a0": rng.uniform(-1, 1, (n_a, 1)).round(2)}
    for gate in "fico":
        v[f"W{gate}"] = rng.uniform(-1, 1, (n_a, n_a + n_x)).round(2)
        v[f"b{gate}"] = rng.uniform(-1, 1, (n_a, 1)).round(2)
    da = rng.uniform(-1, 1, (n_a, 1, T)).round(2)
    dWf = central_differences(lambda w: dlai_lstm_loss(w, da), v)["Wf"]
    np.savez(tmp_path / "mine.npz", dWf=np.concatenate([dWf[:, n_a:], dWf[:, :n_a]], axis=1))
    params = "".join(f"{k} = {w.tolist()}\n" for k, w in v.items() if k not in ("x", "a0"))
    problem = tmp_path / "p.toml"
    problem.write_text(
        f"convention = 'dlai'\npreset = 'lstm'\nx = {v['x'].tolist()}\nupstream = {da.tolist()}\n"
        f"[init]\na = {v['a0'].tolist()}\n[params]\n{params}"
    )
    code, out, _ = cli("grade", str(tmp_path / "mine.npz"), "--config", str(problem), "--width", "0")
    assert code == 1 and "the blocks stacked in the order x, a, where dlai stacks a, x" in out
