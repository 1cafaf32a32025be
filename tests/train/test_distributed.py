"""Training under torchrun with two CPU processes (gloo) follows a one-process run (issue 22)."""

import csv
import os
import socket
import subprocess
import sys

import pytest
import yaml

from temdefects.synth.config import load_config
from temdefects.synth.dataset import generate_dataset
from temdefects.train.distributed import Dist


def _config(tmp_path, batch_size=4):
    data = tmp_path / "set"
    small = {"size": [64, 64], "microstructure": {"max_dislocations": 3}, "artifacts": {"dirt": 0}}
    generate_dataset(data, load_config("m2", overrides=small), count=10, seed=2, progress=False)
    config = {
        "seed": 1,
        "device": "cpu",
        "model": {"arch": "unet", "encoder": "mobilenet_v2", "n_masks": 4, "decoder_base": 4},
        "data": {
            "source": "folder",
            "folder": str(data),
            "test_images": 2,
            "crop": 0,
            "batch_size": batch_size,
            "min_mask_pixels": 1,
        },
        "loss": {"matching": "hungarian"},
        "optim": {"lr": 3e-3, "epochs": 3, "warmup": 0.0, "checkpoint_every": 1000},
        "eval": {"every": 3},
    }
    path = tmp_path / "train.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _losses(out):
    with open(out / "log.csv", newline="") as fh:
        return [float(r["train_loss"]) for r in csv.DictReader(fh) if r.get("train_loss")]


def test_share_splits_every_batch_over_the_ranks():
    keys = list(range(10))
    parts = [Dist(r, 2).share(keys, 4) for r in (0, 1)]
    assert parts == [[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]]
    assert Dist().share(keys, 4) == keys


@pytest.mark.slow
def test_two_processes_follow_one(tmp_path):
    config = _config(tmp_path)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    one = subprocess.run(
        [
            sys.executable,
            "-m",
            "temdefects.cli.main",
            "train",
            str(config),
            "-o",
            str(tmp_path / "one"),
            "-q",
        ],
        capture_output=True,
        env=env,
        timeout=600,
    )
    assert one.returncode == 0, one.stderr.decode()[-2000:]
    two = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc_per_node",
            "2",
            "--master_port",
            str(_free_port()),
            "-m",
            "temdefects.cli.main",
            "train",
            str(config),
            "-o",
            str(tmp_path / "two"),
            "-q",
        ],
        capture_output=True,
        env=env,
        timeout=600,
    )
    assert two.returncode == 0, two.stderr.decode()[-2000:]
    a, b = _losses(tmp_path / "one"), _losses(tmp_path / "two")
    assert len(a) == len(b) == 3
    # measured: 0.8825/0.8762/0.8755 against 0.8826/0.8769/0.8754 (BatchNorm sees half batches)
    for x, y in zip(a, b, strict=True):
        assert y == pytest.approx(x, rel=0.01)
    assert (tmp_path / "two" / "model.safetensors").is_file()
