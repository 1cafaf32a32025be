"""napari plugin (npe2): open, check, correct and run temdefects results in the viewer.

Install with ``pip install 'temdefects[viewer]'``; napari finds the plugin
through the ``napari.manifest`` entry point (``napari.yaml`` here).

* reader (:mod:`temdefects.napari.reader`): an output folder of ``analyze``,
  ``track``, ``loops detect`` or ``particles analyze`` opens over its images:
  dislocations as editable path Shapes with their ids, loops as ellipses
  coloured by class, particles as a Labels layer;
* writer (:mod:`temdefects.napari.writer`): a Shapes layer of edited curves
  saves as labelme JSON, ready for ``labelme-to-masks`` and ``finetune``;
* widgets (:mod:`temdefects.napari.widgets`): run the dislocation analysis,
  loop detection or particle segmentation on the open image.

The reader and writer hold no napari import: they build napari's layer-data
tuples from arrays, so they are tested without a display.
"""
