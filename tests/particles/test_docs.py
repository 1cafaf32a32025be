from pathlib import Path

from temdefects.particles.config import ParticleTrainConfig
from temdefects.particles.features import FEATURE_NAMES
from temdefects.schema import describe

DOC = Path(__file__).resolve().parents[2] / "docs" / "particles.md"


def test_every_training_parameter_and_feature_is_documented():
    text = DOC.read_text()
    names = [name for name, _, _ in describe(ParticleTrainConfig)]
    missing = [n for n in names if f"`{n}`" not in text]
    missing += [f for f in FEATURE_NAMES if f"`{f}`" not in text]
    assert not missing, f"missing from docs/particles.md: {missing}"
