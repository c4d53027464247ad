"""The top layer: the ``sqlreview`` command line. Nothing in sqlreview imports it
but its entry points (``python -m sqlreview``, ``manage.py sqlreview``)."""

from __future__ import annotations

from sqlreview.cli.main import entry_point, main

__all__ = ["entry_point", "main"]
