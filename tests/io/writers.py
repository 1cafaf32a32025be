"""Writers for test fixtures in formats that have no writer in our dependencies."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np


def write_ser(path: Path, frames: np.ndarray, *, pixel_m: float) -> Path:
    """Write a minimal TIA ``.ser`` image series (version 0x0210, 32-bit offsets).

    ``frames`` is (N, H, W) uint16; the calibration is ``pixel_m`` metres per
    pixel, as TIA stores it. Rows are stored bottom-up, as TIA does.
    """
    frames = np.asarray(frames, dtype="<u2")
    n, height, width = frames.shape
    units = b"s"
    description = b"Time"
    header = struct.pack("<HHHIIII", 0x4949, 0x0197, 0x0210, 0x4122, 0x4152, n, n)
    dims = struct.pack("<IddII", n, 0.0, 1.0, 0, len(description)) + description
    dims += struct.pack("<I", len(units)) + units
    offsets_at = len(header) + 8 + len(dims)
    data_start = offsets_at + 8 * n
    element_size = 50 + frames[0].nbytes
    data_offsets = [data_start + i * element_size for i in range(n)]
    tags_start = data_start + n * element_size
    tag_offsets = [tags_start + 8 * i for i in range(n)]
    out = bytearray(header + struct.pack("<II", offsets_at, 1) + dims)
    out += struct.pack(f"<{2 * n}I", *data_offsets, *tag_offsets)
    for frame in frames:
        out += struct.pack("<ddIddIHII", 0.0, pixel_m, 0, 0.0, pixel_m, 0, 2, width, height)
        out += frame[::-1].tobytes()
    for i in range(n):
        out += struct.pack("<HHI", 0x4152, 0, i)
    path.write_bytes(bytes(out))
    return path


def write_video(path: Path, frames: np.ndarray, *, codec: str) -> Path:
    """Encode (N, H, W) uint8 grey frames with PyAV; raises if the codec is missing."""
    import av

    n, height, width = frames.shape
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=5)
        stream.width = width
        stream.height = height
        stream.pix_fmt = "yuv420p"
        if codec == "mpeg4":
            stream.options = {"qscale": "1"}  # near-lossless, keeps grey levels
        for frame in frames:
            video_frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="gray")
            for packet in stream.encode(video_frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
