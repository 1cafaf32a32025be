"""Video files (MP4, AVI, MOV, MKV) decoded frame by frame with PyAV.

Only one decoded frame is held at a time, so an in-situ recording of any
length streams through in constant memory. Frames are converted to grey by
FFmpeg: 8-bit videos give uint8 frames, videos with more than 8 bits per
component give uint16 frames.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from temdefects.io._planes import RawPlane, grey_plane

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv")


def iter_video(path: str | os.PathLike) -> Iterator[RawPlane]:
    """Yield the frames of the first video stream as grey planes, in display order.

    Raises
    ------
    ValueError
        If the file has no video stream or no decodable frame.
    """
    import av

    with av.open(str(Path(path)), mode="r") as container:
        if not container.streams.video:
            raise ValueError("no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        n_frames = 0
        for frame in container.decode(stream):
            deep = frame.format.components and frame.format.components[0].bits > 8
            arr = frame.to_ndarray(format="gray16le" if deep else "gray")
            plane, dtype = grey_plane(arr)
            n_frames += 1
            yield RawPlane(plane, dtype, None, None, True)
        if n_frames == 0:
            raise ValueError("the video holds no decodable frame")


def count_video(path: str | os.PathLike) -> int | None:
    """Frame count from the container header, or ``None`` when the header has none.

    The count is what the file declares; a damaged file may decode fewer frames.
    """
    import av

    with av.open(str(Path(path)), mode="r") as container:
        if not container.streams.video:
            raise ValueError("no video stream")
        frames = int(container.streams.video[0].frames or 0)
    return frames if frames > 0 else None
