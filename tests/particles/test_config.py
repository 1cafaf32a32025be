import pytest

from temdefects.errors import ConfigError
from temdefects.particles.config import ParticleTrainConfig, particle_train_config


def test_defaults_are_a_small_binary_unet():
    cfg = particle_train_config()
    assert cfg == ParticleTrainConfig()
    assert (cfg.model.arch, cfg.model.encoder, cfg.model.n_masks) == ("unet", "mobilenet_v2", 1)
    assert cfg.data.test_fraction == pytest.approx(0.1)


def test_a_partial_model_section_keeps_the_particle_defaults():
    cfg = particle_train_config({"model": {"encoder": "resnet18"}, "data": {"crop": 128}})
    assert (cfg.model.arch, cfg.model.n_masks, cfg.model.encoder) == ("unet", 1, "resnet18")
    assert particle_train_config(cfg.to_dict()) == cfg


@pytest.mark.parametrize(
    "data,field",
    [
        ({"model": {"n_masks": 3}}, "model.n_masks"),
        ({"data": {"crop": 100}}, "data.crop"),
        ({"optim": {"epochs": 0}}, "optim.epochs"),
        ({"features": {"max_period_px": 2.5, "min_period_px": 3}}, "features.max_period_px"),
        ({"loss": {"bce_weight": 0, "dice_weight": 0}}, "loss"),
        ({"instances": {"threshold": 2}}, "instances.threshold"),
        ({"classifer": {}}, "classifer"),
    ],
)
def test_errors_name_the_field(data, field):
    with pytest.raises(ConfigError, match=f"^{field}"):
        particle_train_config(data)
