"""The suite's own set-up: what a developer's environment can and cannot change."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from servers import ROOT

# Run under this suite's conftest.py with settings in the environment, as a developer's shell
# might hold them: neither at collection nor in a test may they be seen.
PROBE = """
import os
from service import Settings

AT_COLLECTION = Settings(model_dir="m")


def test_probe():
    for settings in (AT_COLLECTION, Settings(model_dir="m")):
        assert settings.api_token is None, settings
        assert settings.max_rows == Settings.model_fields["max_rows"].default, settings
    assert os.environ["MLP_REQUIRE_NGINX"] == "0"  # the suite's own switches stay
"""


def test_the_callers_mlp_settings_are_not_seen_by_the_suite_but_its_own_switches_are(tmp_path: Path) -> None:
    (tmp_path / "test_probe.py").write_text(PROBE)
    leaked = {"MLP_API_TOKEN": "from-the-shell", "MLP_MAX_ROWS": "3", "MLP_REQUIRE_NGINX": "0"}
    env = {**os.environ, **leaked, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "conftest", "test_probe.py"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:]
