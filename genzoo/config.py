"""Configs are dataclasses checked once, at the edge: YAML files and ``--set key=value`` overrides.

Every config field is declared with :func:`option`, which records its help text and the range or
choices it accepts, so that a wrong key, type or value is reported in one line before any work.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from pathlib import Path
from typing import Any

import yaml

from genzoo.errors import GenzooError

MAX_SEED = 2**31 - 1   # seeds stay in int32, so derived seeds (seed * 1_000_003 + epoch) fit in int64


def option(default: Any, doc: str, *, low: float | None = None, high: float | None = None,
           choices: tuple | None = None) -> Any:
    """A config field with its help text and the closed range [low, high] or choices it accepts."""
    return dataclasses.field(default=default,
                             metadata={"doc": doc, "low": low, "high": high, "choices": choices})


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def _coerce(value: Any, tp: Any, key: str) -> Any:
    """Return ``value`` as type ``tp`` (int to float and list to tuple only), or raise GenzooError."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in typing.get_args(tp):
            return None
        for arm in typing.get_args(tp):
            if arm is type(None):
                continue
            try:
                return _coerce(value, arm, key)
            except GenzooError:
                pass
        raise GenzooError(f"{key}={value!r} has the wrong type: expected {_type_name(tp)}")
    if origin is tuple:
        (item_type, _ellipsis) = typing.get_args(tp)
        if not isinstance(value, (list, tuple)):
            raise GenzooError(f"{key}={value!r} has the wrong type: expected a list such as [200, 200]")
        return tuple(_coerce(v, item_type, key) for v in value)
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is float and isinstance(value, str):  # YAML 1.1 reads 3e-4 (no dot) as a string
        try:
            return float(value)
        except ValueError:
            pass
    if tp is str and type(value) is int:   # YAML reads --set train.precision=32 as a number
        return str(value)
    if tp in (int, float, str, bool) and type(value) is tp:
        return value
    raise GenzooError(f"{key}={value!r} has the wrong type: expected {_type_name(tp)}")


def _check_value(value: Any, meta: typing.Mapping, key: str) -> None:
    items = value if isinstance(value, tuple) else (value,)
    for item in items:
        if item is None:
            continue
        if isinstance(item, float) and not math.isfinite(item):
            raise GenzooError(f"{key}={item!r} is not a finite number")
        if meta.get("choices") is not None and item not in meta["choices"]:
            raise GenzooError(f"{key}={item!r} is not allowed: choose one of {', '.join(map(str, meta['choices']))}")
        if meta.get("low") is not None and item < meta["low"]:
            raise GenzooError(f"{key}={item!r} is out of range: it must be at least {meta['low']}")
        if meta.get("high") is not None and item > meta["high"]:
            raise GenzooError(f"{key}={item!r} is out of range: it must be at most {meta['high']}")


def build(cls: type, values: typing.Mapping[str, Any], section: str) -> Any:
    """Build config ``cls`` from a mapping, rejecting unknown keys, wrong types and out-of-range values."""
    if not isinstance(values, typing.Mapping):
        raise GenzooError(f"config section '{section}' must be a mapping of key: value")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise GenzooError(f"unknown key '{section}.{unknown[0]}': valid keys are "
                          + ", ".join(f"{section}.{k}" for k in fields))
    kwargs = {}
    for name, value in values.items():
        key = f"{section}.{name}"
        kwargs[name] = _coerce(value, hints[name], key)
        _check_value(kwargs[name], fields[name].metadata, key)
    return cls(**kwargs)


def to_dict(cfg: Any) -> dict[str, Any]:
    """Plain YAML-able values of a config, tuples as lists."""
    return {f.name: list(v) if isinstance(v := getattr(cfg, f.name), tuple) else v
            for f in dataclasses.fields(cfg)}


def describe(cfg: Any, section: str) -> list[tuple[str, Any, str]]:
    """(key, value, help) for every field of a config: the CLI's and the web page's documentation."""
    return [(f"{section}.{f.name}", getattr(cfg, f.name), f.metadata.get("doc", ""))
            for f in dataclasses.fields(cfg)]


def parse_overrides(pairs: typing.Iterable[str], sections: typing.Mapping[str, type]) -> dict[str, dict]:
    """Turn ``--set key=value`` strings into ``{section: {field: value}}``.

    A key is ``section.field`` or a bare ``field`` that names exactly one section's field; values are
    read as YAML, so ``hidden=[500,500]``, ``lr=1e-3`` and ``clip=null`` mean what they say.
    """
    result: dict[str, dict] = {name: {} for name in sections}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise GenzooError(f"--set {pair!r} is not key=value: write for example --set model.latent_dim=20")
        if "." in key:
            section, name = key.split(".", 1)
            if section not in sections:
                raise GenzooError(f"--set {key}: unknown section '{section}': use one of {', '.join(sections)}")
        else:
            owners = [s for s, cls in sections.items() if name_in(cls, key)]
            if len(owners) != 1:
                where = "no section" if not owners else "several sections (" + ", ".join(owners) + ")"
                raise GenzooError(f"--set {key}: {where} has that key; write section.key, "
                                  f"sections are {', '.join(sections)}")
            section, name = owners[0], key
        try:
            result[section][name] = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            raise GenzooError(f"--set {key}: cannot read the value {raw!r}") from None
    return result


def name_in(cls: type, name: str) -> bool:
    return any(f.name == name for f in dataclasses.fields(cls))


def read_yaml(path: str | Path) -> dict[str, Any]:
    """A YAML config file as a mapping, with a one-line error for a missing or malformed file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise GenzooError(f"cannot read config file {path}: {err.strerror}") from None
    except UnicodeDecodeError:
        raise GenzooError(f"config file {path} is not UTF-8 text: give a YAML file with model:, train: and data: "
                          "sections") from None
    if not text.strip():
        raise GenzooError(f"config file {path} is empty: give model:, train: and data: sections, or drop --config")
    try:
        values = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise GenzooError(f"config file {path} is not valid YAML{where}") from None
    if not isinstance(values, dict):
        raise GenzooError(f"config file {path} must be a mapping such as 'model: {{latent_dim: 20}}'")
    return values


def write_yaml(path: Path, values: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump(values, sort_keys=False))
