"""A tiny typed-configuration layer: frozen dataclasses parsed from plain dicts.

Every field declares its kind and bounds in ``dataclasses.field`` metadata, so
parsing can reject unknown keys and out-of-range values with a message that
starts with the dotted path of the field (``microstructure.pileups.count: ...``).
No ``**kwargs`` swallow typos.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

import numpy as np

from temdefects.errors import ConfigError


@dataclass(frozen=True)
class Range:
    """A closed interval ``[lo, hi]`` sampled uniformly (integers: inclusive)."""

    lo: float
    hi: float
    integer: bool = False

    def sample(self, rng: np.random.Generator) -> float | int:
        """Draw one value; a degenerate range returns ``lo`` without using ``rng``."""
        if self.integer:
            if self.lo == self.hi:
                return int(self.lo)
            return int(rng.integers(int(self.lo), int(self.hi) + 1))
        if self.lo == self.hi:
            return float(self.lo)
        return float(rng.uniform(self.lo, self.hi))

    def to_json(self) -> list:
        if self.integer:
            return [int(self.lo), int(self.hi)]
        return [float(self.lo), float(self.hi)]


def rng_field(
    lo: float,
    hi: float,
    *,
    min: float | None = None,
    max: float | None = None,
    integer: bool = False,
    doc: str = "",
):
    """A :class:`Range` field with bounds that both ends must respect."""
    return field(
        default=Range(lo, hi, integer),
        metadata={"kind": "range", "min": min, "max": max, "integer": integer, "doc": doc},
    )


def num_field(
    default: float,
    *,
    min: float | None = None,
    max: float | None = None,
    integer: bool = False,
    exclusive_min: bool = False,
    doc: str = "",
):
    """A scalar number field with bounds (``exclusive_min``: strictly above ``min``)."""
    return field(
        default=default,
        metadata={
            "kind": "number",
            "min": min,
            "max": max,
            "integer": integer,
            "exclusive_min": exclusive_min,
            "doc": doc,
        },
    )


def nums_field(
    default: Sequence[float],
    *,
    min: float | None = None,
    max: float | None = None,
    integer: bool = False,
    exclusive_min: bool = False,
    length: int | None = None,
    doc: str = "",
):
    """A non-empty list of bounded numbers (exactly ``length`` of them when given)."""
    return field(
        default=tuple(default),
        metadata={
            "kind": "numbers",
            "min": min,
            "max": max,
            "integer": integer,
            "exclusive_min": exclusive_min,
            "length": length,
            "doc": doc,
        },
    )


def prob_field(default: float, *, doc: str = ""):
    """A probability in [0, 1]."""
    return num_field(default, min=0.0, max=1.0, doc=doc)


def bool_field(default: bool, *, doc: str = ""):
    return field(default=default, metadata={"kind": "bool", "doc": doc})


def choice_field(
    default: str | None, choices: Sequence[str], *, nullable: bool = False, doc: str = ""
):
    """One string out of ``choices`` (or None when ``nullable``)."""
    return field(
        default=default,
        metadata={"kind": "choice", "choices": tuple(choices), "nullable": nullable, "doc": doc},
    )


def choices_field(default: Sequence[str], choices: Sequence[str], *, doc: str = ""):
    """A non-empty list of strings out of ``choices`` (one is picked per use)."""
    return field(
        default=tuple(default), metadata={"kind": "choices", "choices": tuple(choices), "doc": doc}
    )


def str_field(default: str | None, *, nullable: bool = True, doc: str = ""):
    return field(default=default, metadata={"kind": "str", "nullable": nullable, "doc": doc})


def strs_field(default: Sequence[str] = (), *, doc: str = ""):
    """A (possibly empty) list of non-empty strings, such as folders."""
    return field(default=tuple(default), metadata={"kind": "strs", "doc": doc})


def size_field(default: tuple[int, int], *, doc: str = ""):
    return field(default=tuple(default), metadata={"kind": "size", "doc": doc})


def section_field(cls):
    """A nested configuration section."""
    return field(default_factory=cls, metadata={"kind": "section", "cls": cls})


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_bounds(value: float, meta: Mapping, path: str) -> None:
    lo, hi = meta.get("min"), meta.get("max")
    if not math.isfinite(value):
        raise ConfigError(f"{path}: must be a finite number, got {value!r}")
    if lo is not None and meta.get("exclusive_min") and value <= lo:
        raise ConfigError(f"{path}: must be > {lo}, got {value!r}")
    if lo is not None and value < lo:
        raise ConfigError(f"{path}: must be >= {lo}, got {value!r}")
    if hi is not None and value > hi:
        raise ConfigError(f"{path}: must be <= {hi}, got {value!r}")


def _parse_number(value: Any, meta: Mapping, path: str) -> float | int:
    if not _is_number(value):
        raise ConfigError(f"{path}: expected a number, got {value!r}")
    if meta.get("integer"):
        if float(value) != int(value):
            raise ConfigError(f"{path}: expected an integer, got {value!r}")
        value = int(value)
    else:
        value = float(value)
    _check_bounds(value, meta, path)
    return value


def _parse_value(value: Any, meta: Mapping, path: str) -> Any:
    kind = meta["kind"]
    if kind == "section":
        return parse_section(meta["cls"], value, path)
    if kind == "range":
        if _is_number(value):
            ends = [value, value]
        elif isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
            ends = list(value)
        else:
            raise ConfigError(f"{path}: expected a number or [min, max], got {value!r}")
        lo = _parse_number(ends[0], meta, f"{path}[0]")
        hi = _parse_number(ends[1], meta, f"{path}[1]")
        if lo > hi:
            raise ConfigError(f"{path}: lower end {lo!r} is greater than upper end {hi!r}")
        return Range(lo, hi, bool(meta.get("integer")))
    if kind == "number":
        return _parse_number(value, meta, path)
    if kind == "numbers":
        n = meta.get("length")
        if (
            isinstance(value, str)
            or not isinstance(value, Sequence)
            or not value
            or (n is not None and len(value) != n)
        ):
            want = f"a list of {n} numbers" if n else "a non-empty list of numbers"
            raise ConfigError(f"{path}: expected {want}, got {value!r}")
        return tuple(_parse_number(v, meta, f"{path}[{i}]") for i, v in enumerate(value))
    if kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError(f"{path}: expected true or false, got {value!r}")
        return value
    if kind == "choice":
        if value is None and meta.get("nullable"):
            return None
        if value not in meta["choices"]:
            raise ConfigError(f"{path}: expected one of {list(meta['choices'])}, got {value!r}")
        return value
    if kind == "choices":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, Sequence) or len(value) == 0:
            raise ConfigError(f"{path}: expected a non-empty list out of {list(meta['choices'])}")
        for i, item in enumerate(value):
            if item not in meta["choices"]:
                raise ConfigError(
                    f"{path}[{i}]: expected one of {list(meta['choices'])}, got {item!r}"
                )
        return tuple(value)
    if kind == "str":
        if value is None and meta.get("nullable"):
            return None
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{path}: expected a non-empty string, got {value!r}")
        return value
    if kind == "strs":
        if isinstance(value, str):
            value = [value]
        if value is None or not isinstance(value, Sequence):
            raise ConfigError(f"{path}: expected a list of strings, got {value!r}")
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item:
                raise ConfigError(f"{path}[{i}]: expected a non-empty string, got {item!r}")
        return tuple(value)
    if kind == "size":
        if _is_number(value):
            value = [value, value]
        if not (isinstance(value, Sequence) and len(value) == 2):
            raise ConfigError(f"{path}: expected [height, width] in pixels, got {value!r}")
        out = tuple(
            _parse_number(v, {"integer": True, "min": 16, "max": 16384}, f"{path}[{i}]")
            for i, v in enumerate(value)
        )
        return out
    raise AssertionError(f"unknown field kind {kind}")  # pragma: no cover


def parse_section(cls, data: Any, path: str):
    """Build the frozen dataclass ``cls`` from a mapping, validating every field.

    Missing keys keep their defaults; unknown keys are errors.
    """
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path or 'config'}: expected a mapping of parameters, got {data!r}")
    known = {f.name: f for f in fields(cls)}
    for key in data:
        if key not in known:
            where = f"{path}.{key}" if path else str(key)
            raise ConfigError(f"{where}: unknown parameter (known here: {', '.join(known)})")
    kwargs = {}
    for name, value in data.items():
        where = f"{path}.{name}" if path else name
        kwargs[name] = _parse_value(value, known[name].metadata, where)
    obj = cls(**kwargs)
    check = getattr(obj, "validate", None)
    if check is not None:
        check(path)
    return obj


def check_fields(obj: Any, path: str) -> None:
    """Check the fields of a built frozen dataclass ``obj`` as :func:`parse_section` would.

    For configurations that code also builds directly (``DetectorConfig(nms=0.4)``):
    call it from ``__post_init__`` so both ways meet the same declarations.
    Values are normalised in place as parsing does (lists to tuples, numbers
    to ``float`` or ``int``); sections are left to their own classes.

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Box:
    ...     side: float = num_field(1.0, min=0.0)
    ...     def __post_init__(self):
    ...         check_fields(self, "box")
    >>> Box(side=2).side
    2.0
    >>> Box(side=-1)
    Traceback (most recent call last):
    ...
    temdefects.errors.ConfigError: box.side: must be >= 0.0, got -1.0
    """
    for f in fields(obj):
        if f.metadata.get("kind") in (None, "section"):
            continue
        value = getattr(obj, f.name)
        if isinstance(value, Range):
            value = value.to_json()
        where = f"{path}.{f.name}" if path else f.name
        object.__setattr__(obj, f.name, _parse_value(value, f.metadata, where))


def to_plain(obj: Any) -> Any:
    """Convert a configuration object to JSON/YAML-compatible plain data."""
    if isinstance(obj, Range):
        return obj.to_json()
    if is_dataclass(obj):
        return {f.name: to_plain(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, tuple):
        return [to_plain(v) for v in obj]
    return obj


def deep_merge(base: Mapping, override: Mapping) -> dict:
    """Recursively merge ``override`` into a copy of ``base`` (mappings merge, rest replaces)."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def describe(cls, prefix: str = "") -> list[tuple[str, str, str]]:
    """List ``(dotted name, default, doc)`` for every leaf field of ``cls``."""
    rows = []
    default = cls()
    for f in fields(cls):
        name = f"{prefix}{f.name}"
        if f.metadata.get("kind") == "section":
            rows.extend(describe(f.metadata["cls"], name + "."))
        else:
            rows.append((name, repr(to_plain(getattr(default, f.name))), f.metadata.get("doc", "")))
    return rows


__all__ = [
    "Range",
    "bool_field",
    "check_fields",
    "choice_field",
    "choices_field",
    "deep_merge",
    "describe",
    "num_field",
    "nums_field",
    "parse_section",
    "prob_field",
    "rng_field",
    "section_field",
    "size_field",
    "str_field",
    "strs_field",
    "to_plain",
]
