"""The service's one settings object, read from ``MLP_*`` environment variables.

Nothing else in the service reads ``os.environ``: build ``Settings()`` once (``create_app``
does) and pass it along. Outside the service, ``mlp-train`` reads its two variables
(``MLP_MODEL_DIR``, ``MLP_DATA_DIR``) in ``model.cli.run`` only; ``model.datasets`` takes the
data directory as an argument (``data_dir`` here for ``/train``). Every field is documented in
docs/settings.md. ``from_environment()`` builds it for a process's entry point, with a one-line
error instead of a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from model.store import DEFAULT_RETENTION

MIB = 1024 * 1024
# Default body limits follow the row and value limits: room for every allowed row written out
# in full (17 significant digits and separators per value), and no more, since a worker holds
# the whole body in memory while it counts and parses it.
BODY_BYTES_PER_ROW = 2048  # a /predict row: ~85 full-precision values, or 64 with long names
BODY_BYTES_PER_VALUE = 24  # a /train value: "-0.12345678901234567, "


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MLP_", extra="ignore", frozen=True)

    model_dir: Path = Field(Path("models"), description="The model store directory.")
    data_dir: Path | None = Field(
        None, description="Directory of the bundled datasets /train may name; unset: the repository's data/."
    )
    model_name: str = Field("mlp", pattern=r"^[A-Za-z0-9_.-]{1,64}$", description="Name in the V2 protocol.")
    max_rows: int = Field(10_000, ge=1, description="Most instances in one prediction request.")
    max_body_bytes: int = Field(
        0, ge=0, description=f"Largest request body, in bytes; 0: max_rows x {BODY_BYTES_PER_ROW}."
    )
    reload_interval_s: float = Field(
        0.5, ge=0, le=2, description="How often a worker checks the store's active pointer."
    )
    log_level: str = Field("INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR|CRITICAL)$")
    bind: str = Field("127.0.0.1:8000", description="gunicorn's listen address (--bind overrides).")
    workers: int = Field(0, ge=0, le=64, description="gunicorn workers; 0 means one per CPU.")
    timeout_s: int = Field(30, ge=1, description="gunicorn worker timeout, seconds.")
    metrics_dir: Path | None = Field(
        None, description="prometheus-client multiprocess directory (set by the gunicorn config)."
    )
    api_token: SecretStr | None = Field(None, description="Bearer token of the training endpoints.")
    api_token_file: Path | None = Field(None, description="File holding the token (wins over api_token).")
    # Training over HTTP: bounds so one request cannot exhaust the machine.
    max_train_jobs: int = Field(1, ge=1, le=16, description="Training jobs running at once.")
    max_queued_jobs: int = Field(4, ge=0, le=1000, description="Jobs waiting beyond those; then 429.")
    max_train_rows: int = Field(100_000, ge=10, description="Most rows of inline training data.")
    max_train_values: int = Field(
        1_000_000, ge=10, description="Most values of inline training data (rows x features, targets)."
    )
    max_train_body_bytes: int = Field(
        0, ge=0, description=f"Largest /train body; 0: max_train_values x {BODY_BYTES_PER_VALUE}."
    )
    max_epochs: int = Field(2_000, ge=1, description="Most epochs a job may ask for.")
    max_hidden_layers: int = Field(4, ge=1, description="Most hidden layers a job may ask for.")
    max_hidden_units: int = Field(1_024, ge=1, description="Widest hidden layer a job may ask for.")
    max_train_seconds: float = Field(
        3600, gt=0, description="Longest a job may train; then it fails and publishes nothing."
    )
    max_classes: int = Field(1_000, ge=2, description="Most classes (or labels) a job may train on.")
    min_compare_rows: int = Field(
        30, ge=1, description="Held-out rows if_better needs to compare a job's model with the active one."
    )
    job_retention: int = Field(100, ge=1, description="Finished jobs kept on disk (the newest).")
    keep_versions: int = Field(
        DEFAULT_RETENTION,
        ge=1,
        description="Model versions kept in the store; every publish prunes the oldest beyond it, "
        "never the active one, its rollback target or the last good one.",
    )
    keep_job_data: bool = Field(False, description="Keep a finished job's prepared data (its training rows).")
    train_nice: int = Field(10, ge=0, le=19, description="Niceness of training processes.")

    @model_validator(mode="after")
    def _derive_body_limits(self) -> Settings:
        """Fill in the body limits left at 0 from the row and value limits (at least 1 MiB)."""
        derived = {
            "max_body_bytes": self.max_body_bytes or max(MIB, self.max_rows * BODY_BYTES_PER_ROW),
            "max_train_body_bytes": self.max_train_body_bytes
            or max(MIB, self.max_train_values * BODY_BYTES_PER_VALUE),
        }
        for name, value in derived.items():
            if value < 1024:
                raise ValueError(f"{name} must be 0 (derived from the row limits) or at least 1024")
            object.__setattr__(self, name, value)  # frozen: set once, while validating
        return self

    def as_environment(self) -> dict[str, str]:
        """These settings as ``MLP_*`` variables, for child processes (secrets left out)."""
        values = self.model_dump(exclude={"api_token", "api_token_file"}, exclude_none=True)
        return {f"MLP_{name.upper()}": str(value) for name, value in values.items()}

    def worker_count(self) -> int:
        return self.workers or os.cpu_count() or 1


def from_environment() -> Settings:
    """``Settings()`` from ``MLP_*``; a bad value exits with one line naming the variable.

    For entry points (the gunicorn config, the job runner): pydantic's traceback would name the
    field, not the variable the operator set.
    """
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"MLP_{'_'.join(str(part) for part in item['loc']).upper()}: {item['msg']}"
            for item in error.errors(include_url=False, include_input=False, include_context=False)
        )
        raise SystemExit(f"error: invalid settings: {problems}") from None
