"""Reading and writing a ``Calibration`` file (JSON, versioned)."""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from sqlreview.stats.estimate import OPTIONAL_FIGURES, Calibration

CALIBRATION_VERSION = 1
DEFAULT_CALIBRATION = Path(__file__).with_name("default_calibration.json")


class CalibrationError(ValueError):
    """A calibration file that cannot be used; the message says what to do."""


def load_calibration(path: Path | None = None) -> Calibration:
    """The calibration in ``path``, or the one shipped with the package."""
    source = path or DEFAULT_CALIBRATION
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except OSError as error:
        raise CalibrationError(f"cannot read calibration {source}: {error.strerror}. "
                               "Run `sqlreview calibrate -o FILE` to make one.") from None
    except UnicodeDecodeError:
        raise CalibrationError(f"calibration {source} is not a text file (not UTF-8). "
                               "Run `sqlreview calibrate` again.") from None
    except json.JSONDecodeError as error:
        raise CalibrationError(f"calibration {source} is not JSON ({error.msg}, line "
                               f"{error.lineno}). Run `sqlreview calibrate` again.") from None
    return calibration_from_json(data, source)


def calibration_from_json(data: Any, source: Path | str = "calibration") -> Calibration:
    if not isinstance(data, dict) or data.get("calibration_version") != CALIBRATION_VERSION:
        raise CalibrationError(f"{source} is not a version {CALIBRATION_VERSION} calibration "
                               "file. Run `sqlreview calibrate` again.")
    figures = data.get("figures")
    if not isinstance(figures, dict):
        raise CalibrationError(f"{source} has no \"figures\" object. "
                               "Run `sqlreview calibrate` again.")
    known = {f.name for f in fields(Calibration)} - {"machine", "measured_at", "extra"}
    required = known - set(OPTIONAL_FIGURES)
    missing = sorted(required - set(figures))
    if missing:
        raise CalibrationError(f"{source} lacks {', '.join(missing)}. "
                               "Run `sqlreview calibrate` again.")
    present = sorted(name for name in known if figures.get(name) is not None)
    bad = [name for name in present
           if isinstance(figures[name], bool) or not isinstance(figures[name], (int, float))
           or not figures[name] > 0 or figures[name] == float("inf")]
    if bad:
        raise CalibrationError(f"{source}: {', '.join(bad)} must be positive numbers. "
                               "Run `sqlreview calibrate` again.")
    extra = data.get("extra", {})
    return Calibration(
        **{name: float(figures[name]) for name in present},
        machine=str(data.get("machine", "unknown")),
        measured_at=None if data.get("measured_at") is None else str(data["measured_at"]),
        extra=dict(extra) if isinstance(extra, dict) else {},
    )


def calibration_to_json(calibration: Calibration) -> dict[str, Any]:
    values = asdict(calibration)
    return {
        "calibration_version": CALIBRATION_VERSION,
        "machine": values.pop("machine"),
        "measured_at": values.pop("measured_at"),
        "extra": values.pop("extra"),
        "figures": {name: value for name, value in values.items() if value is not None},
    }
