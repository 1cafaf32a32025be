"""The documentation stays in step with the code and CI."""

from pathlib import Path

from temdefects.schema import describe
from temdefects.synth.config import SynthConfig

ROOT = Path(__file__).resolve().parents[1]


def test_every_generator_parameter_is_documented():
    text = (ROOT / "docs" / "synth.md").read_text()
    missing = [name for name, _, _ in describe(SynthConfig) if f"`{name}`" not in text]
    assert not missing, f"parameters missing from docs/synth.md: {missing}"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text().splitlines()
    commands = [line.strip() for line in readme[:12] if line.strip().startswith("pip install")]
    assert len(commands) == 2, "README must open with exactly two commands"
    ci = (ROOT / ".ci" / "run").read_text()
    assert commands[1] in ci.splitlines(), "CI must run the README's test command verbatim"
