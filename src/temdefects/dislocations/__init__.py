"""Dislocations: the code that serves only the dislocation family.

- :mod:`~temdefects.dislocations.losses`: torch losses for one-instance-per-channel
  segmentation (matched Dice, Govind et al. 2023, Algorithm 1; union loss).
- :mod:`~temdefects.dislocations.evaluation`: models x generated data sets,
  per-pair tables and plots, the evaluation matrix (``temdefects evaluate``).
- :mod:`~temdefects.dislocations.analysis`: real micrographs through a model:
  curves, tables, overlays, exports, tracking (``temdefects analyze``/``track``).

The dislocation generator lives beside the loop and particle generators, in
:mod:`temdefects.synth.dislocations`. Nothing is imported here, so importing this package
stays cheap; import the subpackages themselves.
"""
