"""Readers and writers: images, masks, records; atomic writes everywhere."""

from temdefects.io.atomic import atomic_write_bytes, atomic_write_text
from temdefects.io.images import encode_png, read_grey, write_png

__all__ = ["atomic_write_bytes", "atomic_write_text", "encode_png", "read_grey", "write_png"]
