"""Training configuration, data loading, a tiny training run, model folders and detection."""

import json

import cv2
import numpy as np
import pytest
import torch

from temdefects.cli.main import main
from temdefects.errors import ConfigError, InputFileError
from temdefects.loops.defects import Defects
from temdefects.loops.detect import detect_defects
from temdefects.loops.detector import build_detector
from temdefects.loops.model import load_loop_model
from temdefects.loops.train_config import loop_train_config
from temdefects.loops.train_data import (
    image_stems,
    load_box_images,
    load_synth_folder,
    read_name_list,
)
from temdefects.loops.training import best_f1, init_from_encoder, initialise, train_loop_detector
from temdefects.models.folder import default_model_path

TINY = {"input_size": 128, "fpn_channels": 16, "representation": 32}


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    folder = tmp_path_factory.mktemp("loops")
    assert main(["loops", "synth", "-o", str(folder), "-n", "3", "--size", "160", "160", "-q"]) == 0
    return folder


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """Li-style real data: images, 'ymin xmin ymax xmax' boxes, split lists."""
    root = tmp_path_factory.mktemp("real")
    (root / "images").mkdir()
    (root / "boxes").mkdir()
    rng = np.random.default_rng(0)
    for k in range(4):
        image = np.clip(rng.normal(170, 10, (256, 256)), 0, 255).astype(np.uint8)
        cv2.ellipse(image, (80 + 20 * k, 100), (18, 12), 20, 0, 360, 60, 3)
        cv2.imwrite(str(root / "images" / f"im {k}.jpg"), image)
        (root / "boxes" / f"im {k}.txt").write_text(f"86 {60 + 20 * k} 114 {100 + 20 * k}\n")
    (root / "images" / "nolabel.jpg").write_bytes((root / "images" / "im 0.jpg").read_bytes())
    (root / "train.txt").write_text("im 0.jpg\nim 1.jpg\nim 2.jpg\n")
    (root / "test.txt").write_text("im 3.jpg\n")
    return root


def test_config_errors_name_the_field():
    with pytest.raises(ConfigError, match="give generated folders"):
        loop_train_config({})
    with pytest.raises(ConfigError, match="boxes and images go together"):
        loop_train_config({"data": {"boxes": "b"}})
    with pytest.raises(ConfigError, match="data.crop"):
        loop_train_config({"data": {"synth": ["a"], "crop": 8}})
    with pytest.raises(ConfigError, match="detector.depth: unknown parameter"):
        loop_train_config({"data": {"synth": ["a"]}, "detector": {"depth": 1}})
    with pytest.raises(ConfigError, match="seed"):
        loop_train_config({"data": {"synth": ["a"]}, "seed": -1})
    with pytest.raises(ConfigError, match="colour: unknown parameter"):
        loop_train_config({"data": {"synth": ["a"]}, "colour": 1})
    with pytest.raises(ConfigError, match="optim.validation"):
        loop_train_config({"data": {"synth": ["a"]}, "optim": {"validation": "per-class"}})
    cfg = loop_train_config({"data": {"synth": "a"}})
    assert cfg.data.synth == ("a",)
    assert cfg.optim.validation == "agnostic"
    assert loop_train_config(cfg.to_dict()) == cfg


def test_class_aware_validation_counts_the_class_and_skips_unnamed_classes():
    box = [[10, 10, 20, 20]]
    loop = Defects.from_lists(box, ["loop111"], scores=[0.9])
    as_loop100 = Defects.from_lists(box, ["loop100"], scores=[0.9])
    labelled = Defects.from_lists(box, ["loop111"])
    unnamed_dot = Defects.from_lists(
        [[10, 10, 20, 20], [50, 50, 8, 8]], ["loop111", "dot"], scores=[0.9, 0.9]
    )
    # a set whose labels name only loop111: an extra dot box says nothing
    assert best_f1([(unnamed_dot, labelled)])["precision"] == 0.5
    assert best_f1([(unnamed_dot, labelled)], class_aware=True)["f1"] == 1.0
    # a wrong class is a miss only when the class counts
    both = [(as_loop100, labelled), (loop, Defects.from_lists(box, ["loop100"]))]
    assert best_f1(both)["f1"] == 1.0
    assert best_f1(both, class_aware=True)["f1"] == 0.0


def test_load_synth_folder_matches_labels(synth):
    items = load_synth_folder(synth, ("loop111", "loop100", "dot"), 128)
    assert len(items) == 3
    with open(synth / "labels.csv") as fh:
        n_rows = sum(1 for _ in fh) - 1
    assert sum(len(i.boxes) for i in items) == n_rows
    for item in items:
        assert item.image.shape == (128, 128) and item.factor == pytest.approx(0.8)
        assert (item.boxes[:, 2] > item.boxes[:, 0]).all() and (item.boxes <= 128.01).all()
        assert set(item.labels.tolist()) <= {1, 2, 3}
    with pytest.raises(InputFileError, match="no labels.csv"):
        load_synth_folder(synth.parent, ("loop111",), 128)


def test_load_box_images_scales_boxes_and_skips_unlabelled(real):
    names = image_stems(real / "images", exclude=["im 3.jpg"])
    assert names == ["im 0", "im 1", "im 2", "nolabel"]
    names = names[:3]
    items = load_box_images(
        real / "images",
        real / "boxes",
        [*names, "nolabel"],
        classes=("loop111", "dot"),
        input_size=128,
    )
    assert [i.name for i in items] == names
    np.testing.assert_allclose(items[0].boxes[0], [30, 43, 50, 57])  # halved
    assert items[0].labels.tolist() == [1]
    assert read_name_list(real / "test.txt") == ["im 3.jpg"]
    # the same labels as YOLO polygons (normalised corners) and as COCO with its own class name
    yolo = real / "yolo"
    yolo.mkdir(exist_ok=True)
    (yolo / "im 1.txt").write_text("0 0.3125 0.3359 0.4688 0.3359 0.4688 0.4453 0.3125 0.4453\n")
    got = load_box_images(
        real / "images", yolo, ["im 1"], classes=("loop111",), input_size=128, fmt="yolo"
    )
    np.testing.assert_allclose(got[0].boxes[0], [40, 43, 60, 57], atol=0.1)
    coco = {
        "images": [{"id": 1, "file_name": "im 2.jpg", "width": 256, "height": 256}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 7, "bbox": [100, 86, 40, 28]}],
        "categories": [{"id": 7, "name": "hcloop"}],
    }
    (real / "coco.json").write_text(json.dumps(coco))
    got = load_box_images(
        real / "images",
        real / "coco.json",
        ["im 2"],
        classes=("loop111", "dot"),
        input_size=128,
        cls="dot",
        fmt="coco",
    )
    np.testing.assert_allclose(got[0].boxes[0], [50, 43, 70, 57])
    assert got[0].labels.tolist() == [2]
    with pytest.raises(InputFileError, match="no such split file"):
        read_name_list(real / "missing.txt")


def test_init_from_encoder_copies_the_dislocation_trunk():
    net = build_detector(TINY)
    n = init_from_encoder(net, default_model_path())
    assert n >= 100
    from safetensors.torch import load_file

    state = load_file(str(default_model_path() / "model.safetensors"))
    ref = state["net.encoder.layer2.0.conv1.weight"].float()
    assert torch.equal(net.backbone.body.layer2[0].conv1.weight.data, ref)
    conv1 = net.backbone.body.conv1.weight.data
    assert conv1.shape[1] == 3 and torch.equal(conv1[:, 0], conv1[:, 2])
    with pytest.raises(ConfigError, match="no such file"):
        init_from_encoder(net, "nowhere")


@pytest.mark.slow
def test_tiny_training_run_writes_a_loadable_model(synth, real, tmp_path):
    config = loop_train_config(
        {
            "seed": 3,
            "detector": TINY,
            "data": {
                "synth": [str(synth)],
                "synth_val": str(synth),
                "images": str(real / "images"),
                "boxes": str(real / "boxes"),
                "train_list": str(real / "train.txt"),
                "test_list": str(real / "test.txt"),
                "val_fraction": 0.34,
                "crop": 64,
                "batch_size": 2,
            },
            "optim": {"epochs": 2, "steps_per_epoch": 2},
        }
    )
    out = tmp_path / "model"
    before = torch.random.get_rng_state()
    metrics = train_loop_detector(config, out, progress=False)
    assert torch.equal(torch.random.get_rng_state(), before)  # the caller's RNG is untouched
    assert metrics["best_epoch"] in (1, 2) and len(metrics["log"]) == 2
    assert set(metrics["validation"]) == {"synth", "real"}
    doc = json.loads((out / "config.json").read_text())
    record = doc["training"]
    assert record["images"] == {"synth": 3, "real": 2, "val_synth": 3, "val_real": 1}
    assert record["train_config"]["seed"] == 3
    assert (out / "log.csv").read_text().startswith("epoch,step,seconds,loss,val_f1")
    model = load_loop_model(out)
    assert model.score_threshold == pytest.approx(metrics["score_threshold"])
    image = cv2.imread(str(real / "images" / "im 3.jpg"), cv2.IMREAD_GRAYSCALE)
    defects, polarity = detect_defects(model, image, min_score=0.0)
    assert polarity in ("dark", "bright")
    assert len(defects) == 0 or defects.has_ellipse.all()
    with pytest.raises(Exception, match="not empty"):
        train_loop_detector(config, out, progress=False)
    # fine-tuning starts from every weight of a loop model with the same settings
    plain = config.to_dict()
    # (with the unboxed dark blobs of the real images ignored, as for Li et al.'s boxes)
    tune = loop_train_config(
        {
            **plain,
            "init": str(out),
            "data": {**plain["data"], "unlabelled": "ignore-dark"},
            "optim": {"epochs": 1, "steps_per_epoch": 1},
        }
    )
    net = build_detector(tune.detector)
    assert initialise(net, tune) == len(net.state_dict())
    for key, value in model.net.state_dict().items():
        assert torch.allclose(net.state_dict()[key].float(), value.float()), key
    train_loop_detector(tune, tmp_path / "tuned", progress=False)
    other = loop_train_config({**plain, "init": str(out), "detector": {**TINY, "fpn_channels": 8}})
    with pytest.raises(ConfigError, match="detector settings differ"):
        initialise(build_detector(other.detector), other)
    # epochs 0: the init model validated again with other box post-processing
    settings = {**TINY, "class_agnostic": True, "nested": 0.8, "scale": "auto"}
    calib = loop_train_config(
        {**plain, "init": str(out), "detector": settings, "optim": {"epochs": 0}}
    )
    done = train_loop_detector(calib, tmp_path / "calibrated", progress=False)
    assert done["best_epoch"] == 0 and done["log"][0]["loss"] is None
    again = load_loop_model(tmp_path / "calibrated")
    assert again.config.class_agnostic and again.config.nested == 0.8
    assert again.score_threshold == pytest.approx(done["score_threshold"])
    for key, value in model.net.state_dict().items():
        assert torch.equal(again.net.state_dict()[key], value), key
    alone = loop_train_config({**plain, "optim": {"epochs": 0}})
    with pytest.raises(ConfigError, match="needs an init model"):
        train_loop_detector(alone, tmp_path / "alone", progress=False)


def test_load_loop_model_errors(tmp_path):
    with pytest.raises(InputFileError, match="not a loop model folder"):
        load_loop_model(tmp_path)
    (tmp_path / "config.json").write_text('{"format": "other"}')
    (tmp_path / "model.safetensors").write_bytes(b"")
    with pytest.raises(InputFileError, match="not a loop model"):
        load_loop_model(tmp_path)
    with pytest.raises(InputFileError, match="temdefects.model/1"):
        load_loop_model(default_model_path())  # a dislocation model, not a loop model
