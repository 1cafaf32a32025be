"""temdefects: crystal defects in TEM images and videos as numbers.

The package is organised by the data's journey (see ``docs/``):
``synth`` makes synthetic training images with exact ground truth, ``io`` reads
and writes files, and later stages train models and analyse real micrographs.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
