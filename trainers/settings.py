"""Documented config fields: each family's config dataclass says, per field, what it means and
which values it takes. The CLI's `--config` help, its parsing and the app's settings form are all
built from that, so a new family's settings need no CLI or GUI code."""

from __future__ import annotations

import math
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

from trainers.errors import UserFacingError


def setting(
    default,
    doc: str,
    *,
    choices: tuple | None = None,
    low: float | None = None,
    high: float | None = None,
    advanced: bool = False,
):
    """A config field with its documentation and the values it accepts (checked on every build)."""
    return field(
        default=default, metadata={"doc": doc, "choices": choices, "low": low, "high": high, "advanced": advanced}
    )


@dataclass(frozen=True)
class SettingInfo:
    name: str
    kind: type  # bool, int, float or str
    default: object
    doc: str
    choices: tuple | None = None
    low: float | None = None
    high: float | None = None
    advanced: bool = False  # kept out of the app's form (still settable with --config)

    def describe(self) -> str:
        if self.choices:
            values = "|".join(str(c) for c in self.choices)
        elif self.kind is bool:
            values = "true|false"
        elif self.low is not None or self.high is not None:
            values = f"{self.kind.__name__} in [{_fmt(self.low)}, {_fmt(self.high)}]"
        else:
            values = self.kind.__name__
        return f"{self.name}={self.default!s} ({values}): {self.doc}"


def _fmt(value) -> str:
    if value is None:
        return "…"
    return f"{int(value)}" if float(value).is_integer() and abs(value) >= 1e6 else f"{value:g}"


def describe_config(config_class) -> list[SettingInfo]:
    out = []
    for f in fields(config_class):
        default = f.default if f.default is not MISSING else f.default_factory()  # type: ignore[operator]
        meta = f.metadata
        out.append(
            SettingInfo(
                f.name,
                type(default),
                default,
                meta.get("doc", ""),
                meta.get("choices"),
                meta.get("low"),
                meta.get("high"),
                bool(meta.get("advanced")),
            )
        )
    return out


def parse_bool(text: str) -> bool:
    words = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
    if text.lower() not in words:
        raise ValueError(text)
    return words[text.lower()]


def parse_overrides(config_class, pairs: list[str]) -> dict:
    """KEY=VALUE strings -> typed config fields (one clear line when wrong)."""
    infos = {s.name: s for s in describe_config(config_class)}
    out = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or key not in infos:
            raise UserFacingError(f"--config {pair}: expected KEY=VALUE with KEY one of {', '.join(infos)}.")
        kind = infos[key].kind
        try:
            out[key] = parse_bool(text) if kind is bool else kind(text)
        except ValueError:
            about = "true or false" if kind is bool else f"a {kind.__name__}"
            raise UserFacingError(f"--config {pair}: {key} takes {about}.") from None
    return out


def checked_config(config_class, values: dict):
    """`config_class(**values)` once every value has the field's type and lies in its range."""
    infos = {s.name: s for s in describe_config(config_class)}
    unknown = sorted(set(values) - set(infos))
    if unknown:
        raise UserFacingError(
            f"Settings {unknown} are not known here (known: {', '.join(infos)}): an incompatible model or run file."
        )
    clean = {}
    for name, value in values.items():
        clean[name] = _checked(infos[name], value)
    return config_class(**clean)


def _checked(info: SettingInfo, value: Any):
    if info.kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if type(value) is not info.kind:
        raise UserFacingError(f"Setting {info.name} must be {info.kind.__name__}, got {value!r}.")
    if info.choices and value not in info.choices:
        raise UserFacingError(f"Setting {info.name} must be one of {', '.join(map(str, info.choices))}, got {value!r}.")
    if isinstance(value, (int, float)):  # bools were refused above: their type is not the field's
        number = float(value)
        if not math.isfinite(number):
            raise UserFacingError(f"Setting {info.name} must be a finite number, got {value!r}.")
        if (info.low is not None and number < info.low) or (info.high is not None and number > info.high):
            raise UserFacingError(
                f"Setting {info.name} must be within [{_fmt(info.low)}, {_fmt(info.high)}], got {value:g}."
            )
    return value
