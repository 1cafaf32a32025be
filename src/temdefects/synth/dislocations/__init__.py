"""The synthetic dislocation generator (``temdefects synth``).

Its presets, scene sampling and rendering, per-image files, dataset runs,
videos (:mod:`~temdefects.synth.dislocations.sequence`), shape libraries and
the fit to labelled frames. The helpers that the loop and particle generators
share with it stay in :mod:`temdefects.synth`, and so does its configuration
(:mod:`temdefects.synth.config`), which holds the sections they share. Nothing
is imported here; import the modules themselves.
"""
