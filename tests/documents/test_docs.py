"""Generated documentation is current: docs/cli.md, docs/tutorial.md, docs/examples/."""

from __future__ import annotations

import subprocess
import sys

from paths import ROOT


def test_generated_docs_are_current() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_docs.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_readme_commands_are_the_ci_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_command = 'pip install ".[test]" && pytest'
    assert test_command in readme.split("```text")[0]
    assert test_command in ci.splitlines(), "CI runs the README's test command as it is"


def test_readme_output_is_real(cli) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    excerpt = readme.split("```text\n")[1].split("```")[0]
    _, out, _ = cli("grads", "--show-steps", "--width", "0")  # as a wide terminal shows it
    for line in excerpt.splitlines():
        if line != "...":
            assert line in out.splitlines(), line
