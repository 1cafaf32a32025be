import subprocess
import sys

import pytest
import yaml

from temdefects.cli.main import main
from temdefects.synth.config import config_from_dict, load_config

SMALL = ["--size", "64", "64", "-q"]


def run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_generate_with_preview_then_replay_byte_identical(tmp_path, capsys):
    out = tmp_path / "set"
    code, stdout, _ = run(
        ["synth", "-o", str(out), "-n", "3", "--preset", "m1", "--seed", "4", "--preview", *SMALL],
        capsys,
    )
    assert code == 0 and "wrote 3 images" in stdout
    assert (out / "preview.png").is_file()
    code, stdout, _ = run(
        ["synth", "--replay", str(out / "000002.json"), "-o", str(tmp_path / "again")], capsys
    )
    assert code == 0
    for suffix in (".png", ".npz", ".csv", ".json"):
        assert (tmp_path / "again" / f"000002{suffix}").read_bytes() == (
            out / f"000002{suffix}"
        ).read_bytes()
    code, _, err = run(
        ["synth", "--replay", str(out / "000002.json"), "-o", str(tmp_path / "again")], capsys
    )
    assert code == 1 and "exists already" in err


def test_non_empty_folder_is_one_error_line(tmp_path, capsys):
    (tmp_path / "x.txt").write_text("data")
    code, _, err = run(["synth", "-o", str(tmp_path), "-n", "1", *SMALL], capsys)
    assert code == 1
    assert err.strip().count("\n") == 0 and "not empty" in err
    assert (tmp_path / "x.txt").read_text() == "data"


@pytest.mark.parametrize(
    "args,message",
    [
        (["synth", "-n", "2"], "-o/--output"),
        (["synth", "-o", "{tmp}/a"], "-n/--count"),
        (["synth", "-o", "{tmp}/a", "-n", "1", "--preset", "m9"], "unknown preset"),
        (["synth", "-o", "{tmp}/a", "-n", "1", "--config", "{tmp}/none.yaml"], "not found"),
        (["synth", "-o", "{tmp}/a", "-n", "1", "--background", "real"], "--backgrounds DIR"),
        (
            [
                "synth",
                "-o",
                "{tmp}/a",
                "-n",
                "1",
                "--background",
                "real",
                "--backgrounds",
                "{tmp}/nobg",
            ],
            "background folder not found",
        ),
        (
            ["synth", "-o", "{tmp}/a", "-n", "1", "--background", "perlin", "--backgrounds", "x"],
            "contradict",
        ),
        (["synth", "--replay", "{tmp}/none.json", "-o", "{tmp}/b"], "record not found"),
        (["synth", "-o", "{tmp}/a", "-n", "1", "--overwrite", "--resume"], "exclude each other"),
    ],
)
def test_errors(tmp_path, capsys, args, message):
    args = [a.format(tmp=tmp_path) for a in args]
    code, _, err = run(args + SMALL, capsys)
    assert code == 1
    assert message in err and err.startswith("temdefects synth: error:")


def test_backgrounds_imply_real_and_a_bad_folder_is_one_line(tmp_path, capsys):
    import cv2
    import numpy as np

    crops = tmp_path / "crops"
    crops.mkdir()
    rng = np.random.default_rng(0)
    cv2.imwrite(str(crops / "c.png"), (rng.random((96, 96)) * 255).astype(np.uint8))
    out = tmp_path / "real"
    code, _, _ = run(
        ["synth", "-o", str(out), "-n", "2", "--backgrounds", str(crops), *SMALL], capsys
    )
    assert code == 0
    record = yaml.safe_load((out / "000000.json").read_text())
    assert record["scene"]["background"]["kind"] == "real"
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run(
        ["synth", "-o", str(tmp_path / "x"), "-n", "50", "--backgrounds", str(empty), *SMALL],
        capsys,
    )
    assert code == 1 and len(err.strip().splitlines()) == 1 and "no background images" in err
    assert not (tmp_path / "x" / "dataset.json").exists()


def test_invalid_config_value_names_the_field(tmp_path, capsys):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("drawing:\n  line_width: [4, 2]\n")
    code, _, err = run(
        ["synth", "-o", str(tmp_path / "o"), "-n", "1", "--config", str(cfg)], capsys
    )
    assert code == 1 and "drawing.line_width" in err


def test_argparse_rejects_nonsense_counts(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["synth", "-o", "x", "-n", "0"])
    assert exc.value.code == 2


def test_dump_and_list(capsys, tmp_path):
    code, out, _ = run(["synth", "--dump-config", "--preset", "m1"], capsys)
    assert code == 0 and config_from_dict(yaml.safe_load(out)) == load_config("m1")
    code, out, _ = run(["synth", "--list-presets"], capsys)
    assert out.split() == ["dense", "m1", "m2"]
    path = tmp_path / "edit.yaml"
    path.write_text(yaml.safe_dump({"microstructure": {"pileups": {"count": 1}}}))
    code, out, _ = run(
        ["synth", "--dump-config", "--config", str(path), "--size", "100", "80"], capsys
    )
    cfg = config_from_dict(yaml.safe_load(out))
    assert cfg.size == (100, 80) and cfg.microstructure.pileups.count.hi == 1


def test_resume_and_overwrite_through_cli(tmp_path, capsys):
    out = tmp_path / "s"
    assert run(["synth", "-o", str(out), "-n", "2", *SMALL], capsys)[0] == 0
    (out / "000001.json").unlink()
    code, stdout, _ = run(["synth", "-o", str(out), "-n", "2", "--resume", *SMALL], capsys)
    assert code == 0 and "1 already there" in stdout
    code, stdout, _ = run(["synth", "-o", str(out), "-n", "1", "--overwrite", *SMALL], capsys)
    assert code == 0 and not (out / "000001.png").exists()


def test_console_script_help_is_fast_and_works():
    res = subprocess.run(
        [sys.executable, "-m", "temdefects.cli.main", "synth", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--replay" in res.stdout
    res = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, temdefects.cli.main; "
            "print('torch' in sys.modules, 'scipy' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert res.stdout.split() == ["False", "False"]
