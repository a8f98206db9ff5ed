"""Training jobs apart from HTTP: the runner process, the prepared job, the record's writers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WEB_MODULES = ("flask", "werkzeug", "gunicorn", "service.app", "service.errors", "service.routes")


@pytest.mark.parametrize("module", ["service.job_runner", "service.jobs", "service.training"])
def test_the_job_code_loads_no_web_framework(module: str) -> None:
    code = f"import sys, {module}; print(sorted(m for m in sys.modules if m.startswith({WEB_MODULES!r})))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.strip() == "[]"


def test_the_service_package_still_exports_the_app_factory_and_settings() -> None:
    import service

    assert callable(service.create_app) and service.Settings().max_train_jobs >= 1
    with pytest.raises(AttributeError):
        service.no_such_name  # noqa: B018
