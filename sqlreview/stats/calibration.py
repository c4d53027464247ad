"""Reading and writing a ``Calibration`` file (JSON, versioned)."""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from sqlreview.stats.estimate import Calibration

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
    except json.JSONDecodeError as error:
        raise CalibrationError(f"calibration {source} is not JSON ({error.msg}, line "
                               f"{error.lineno}). Run `sqlreview calibrate` again.") from None
    return calibration_from_json(data, source)


def calibration_from_json(data: Any, source: Path | str = "calibration") -> Calibration:
    if not isinstance(data, dict) or data.get("calibration_version") != CALIBRATION_VERSION:
        raise CalibrationError(f"{source} is not a version {CALIBRATION_VERSION} calibration "
                               "file. Run `sqlreview calibrate` again.")
    figures = data.get("figures", {})
    known = {f.name for f in fields(Calibration)} - {"machine", "measured_at", "extra"}
    missing = sorted(known - set(figures))
    if missing:
        raise CalibrationError(f"{source} lacks {', '.join(missing)}. "
                               "Run `sqlreview calibrate` again.")
    bad = sorted(name for name in known
                 if not isinstance(figures[name], (int, float)) or figures[name] <= 0)
    if bad:
        raise CalibrationError(f"{source}: {', '.join(bad)} must be positive numbers.")
    return Calibration(
        **{name: float(figures[name]) for name in known},
        machine=str(data.get("machine", "unknown")),
        measured_at=data.get("measured_at"),
        extra=dict(data.get("extra", {})),
    )


def calibration_to_json(calibration: Calibration) -> dict[str, Any]:
    values = asdict(calibration)
    return {
        "calibration_version": CALIBRATION_VERSION,
        "machine": values.pop("machine"),
        "measured_at": values.pop("measured_at"),
        "extra": values.pop("extra"),
        "figures": values,
    }
