"""A screenshot of the napari viewer over real results, for the docs.

Opens an output folder of ``temdefects track``, ``analyze``, ``loops detect``
or ``particles analyze`` through the temdefects plugin (as napari's
File > Open Folder does), docks a plugin widget, goes to one frame and saves
the whole window. napari's canvas needs OpenGL and a display; on a headless
machine run it under Xvfb::

    xvfb-run -a -s "-screen 0 1600x1000x24" python viewer_screenshot.py \\
        ../runs/track-adapted -o ../docs/images/viewer_track.png --frame 200
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

WIDGETS = {
    "dislocations": "Find dislocations",
    "loops": "Detect loops and black dots",
    "particles": "Segment nanoparticles",
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", help="a temdefects output folder")
    ap.add_argument("-o", "--output", required=True, help="PNG to write")
    ap.add_argument("--frame", type=int, default=0, help="frame to show (0)")
    ap.add_argument("--widget", choices=sorted(WIDGETS), default="dislocations")
    ap.add_argument("--size", type=int, nargs=2, default=(1400, 900), metavar=("W", "H"))
    args = ap.parse_args()
    folder = Path(args.folder)
    if not folder.is_dir():
        print(f"viewer_screenshot: error: {folder}: not a folder", file=sys.stderr)
        return 1
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        print(
            "viewer_screenshot: error: no display (run it under xvfb-run -a, see the docstring)",
            file=sys.stderr,
        )
        return 1
    import tempfile
    import warnings

    warnings.filterwarnings("ignore")  # napari shows warnings as toasts over the canvas

    os.environ["NAPARI_CONFIG"] = str(Path(tempfile.mkdtemp()) / "settings.yaml")  # not the user's
    import imageio.v3 as iio
    from napari.settings import get_settings

    import napari

    get_settings().application.gui_notification_level = "none"  # no toasts over the canvas
    viewer = napari.Viewer(show=True)
    viewer.window.resize(*args.size)
    viewer.open(str(folder), plugin="temdefects")
    dock, _ = viewer.window.add_plugin_dock_widget("temdefects", WIDGETS[args.widget])
    dock.show()
    if viewer.dims.ndim > 2:
        viewer.dims.set_current_step(0, args.frame)
    viewer.reset_view()
    from qtpy.QtWidgets import QApplication

    for _ in range(20):  # let Qt lay out the window and dock before grabbing it
        QApplication.processEvents()
    for widget in QApplication.allWidgets():  # a start-up notice about the Qt binding
        if type(widget).__name__ == "NapariQtNotification":
            widget.close()
    QApplication.processEvents()
    image = viewer.screenshot(canvas_only=False, flash=False)
    out = Path(args.output)
    tmp = out.with_name(f".{out.name}.tmp.png")
    iio.imwrite(tmp, image[..., :3])
    tmp.replace(out)
    names = [layer.name for layer in viewer.layers]
    print(f"{out}: {image.shape[1]} x {image.shape[0]} px, layers {names}")
    viewer.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
