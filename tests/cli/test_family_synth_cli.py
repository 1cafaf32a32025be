import json

import cv2
import pytest

from temdefects.cli.main import main


@pytest.mark.parametrize("family,size", [("loops", ["128", "128"]), ("particles", None)])
def test_family_synth_writes_images_records_and_preview(tmp_path, capsys, family, size):
    out = tmp_path / family
    args = [family, "synth", "-o", str(out), "-n", "2", "--seed", "3", "--preview", "-q"]
    if size:
        args += ["--size", *size]
    assert main(args) == 0
    assert "wrote 2 images" in capsys.readouterr().out
    assert cv2.imread(str(out / "preview.png")) is not None
    record = json.loads((out / "000001.json").read_text())
    assert record["seed"] == 3 and record["index"] == 1
    assert main(args) == 1  # a second run needs --overwrite
    assert "not empty" in capsys.readouterr().err
    (out / "000001.json").unlink()  # as if killed before image 1 was complete
    grow = [a if a != "2" else "3" for a in args]  # and one image more
    assert main([*grow, "--resume"]) == 0
    text = capsys.readouterr().out
    assert "wrote 2 images" in text and "(1 already there)" in text
    assert json.loads((out / "000002.json").read_text())["index"] == 2
    assert main([*args, "--resume", "--overwrite"]) == 1
    assert "exclude each other" in capsys.readouterr().err


@pytest.mark.parametrize("family", ["loops", "particles"])
def test_family_synth_config_and_errors(tmp_path, capsys, family):
    assert main([family, "synth", "--list-presets"]) == 0
    assert "default" in capsys.readouterr().out.split()
    assert main([family, "synth", "--dump-config"]) == 0
    assert "size" in capsys.readouterr().out
    assert main([family, "synth", "-n", "1"]) == 1
    assert "-o/--output" in capsys.readouterr().err
    assert main([family, "synth", "-o", str(tmp_path / "x"), "-n", "1", "--preset", "nope"]) == 1
    assert "preset" in capsys.readouterr().err


def test_particles_too_small_an_image_names_the_field(tmp_path, capsys):
    code = main(["particles", "synth", "-o", str(tmp_path / "p"), "-n", "1", "--size", "64", "64"])
    assert code == 1 and "particles.diameter" in capsys.readouterr().err
