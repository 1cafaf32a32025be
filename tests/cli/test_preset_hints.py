"""Every built-in generator preset is named in its synth command's --help."""

import pytest

from temdefects.cli.main import main
from temdefects.synth.config import package_presets


@pytest.mark.parametrize(
    "command, package",
    [
        (["synth"], "temdefects.synth.dislocations"),
        (["loops", "synth"], "temdefects.synth.loops"),
        (["particles", "synth"], "temdefects.synth.particles"),
    ],
)
def test_help_names_every_preset(command, package, capsys):
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    text = " ".join(capsys.readouterr().out.split()).replace("- ", "-")  # wrapped at hyphens
    missing = [name for name in package_presets(package) if name not in text]
    assert not missing, f"{' '.join(command)} --help does not name {missing}"
