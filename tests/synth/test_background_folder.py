"""``background_folder``: where a dislocation or loop run reads real background crops."""

from __future__ import annotations

from pathlib import Path

from temdefects.synth.config import load_config
from temdefects.synth.loops.config import load_loop_config
from temdefects.synth.scene import background_folder


def test_a_given_folder_wins_else_the_configured_one_else_none(tmp_path):
    plain = load_config(overrides={"size": [64, 64]})
    assert plain.background.real.dir is None
    assert background_folder(plain) is None
    assert background_folder(plain, "given") == "given"
    real = {"size": [64, 64], "background": {"real": {"dir": str(tmp_path)}}}
    for config in (load_config(overrides=real), load_loop_config(overrides=real)):
        assert background_folder(config) == Path(tmp_path)
        assert isinstance(background_folder(config), Path)
        assert background_folder(config, "given") == "given"
