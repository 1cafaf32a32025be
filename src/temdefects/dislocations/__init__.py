"""Dislocations: the code that serves only the dislocation family.

- :mod:`~temdefects.dislocations.losses`: torch losses for one-instance-per-channel
  segmentation (matched Dice, Govind et al. 2023, Algorithm 1; union loss).
- :mod:`~temdefects.dislocations.evaluation`: models x generated data sets,
  per-pair tables and plots, the evaluation matrix (``temdefects evaluate``).

More dislocation code (the generator in :mod:`temdefects.synth`, the analysis
pipeline in :mod:`temdefects.analysis`) still lives at top level until later
moves. Nothing is imported here, so importing this package stays cheap; import
the subpackages themselves.
"""
