"""Front-end files shared by the offline HTML report and the web console, shipped as package data.

``charts.js`` draws the SVG charts, ``card.js`` lays out the model card, ``console.css`` styles
both, ``report.js`` starts the report. ``model.report`` inlines them; the web console serves them
under ``/console/`` (``service/routes/console.py``) next to its own page. They live here, on the
application side of ``model/``, so that the report needs nothing of the service.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

NAMES = ("console.css", "charts.js", "card.js", "report.js")


def directory() -> Path:
    """The directory holding the files (the package is installed unpacked, never zipped)."""
    location = files(__name__)
    if not isinstance(location, Path):
        raise FileNotFoundError(f"the assets are not files on disk: {location}")
    return location

