"""Options declared once (``model/nn/options.py``): flags, config keys and ``/train`` derive from them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from model.cli import build_parser, resolve_settings
from model.nn.errors import InvalidConfigError
from model.nn.options import NetworkConfig, Option
from model.nn.training import TrainingConfig
from model.pipeline import TrainOptions
from service.openapi import build_document
from service.schemas import TrainRequest

# A valid value other than the default, for every option (a new option must add one here).
OTHER: dict[str, Any] = {
    "hidden": [8, 4], "activation": "tanh", "init": "he", "dtype": "float64", "seed": None,
    "epochs": 7, "batch_size": 16, "learning_rate": 0.01, "optimizer": "sgd", "momentum": 0.5,
    "nesterov": True, "l2": 0.0, "lr_schedule": "cosine", "val_fraction": 0.2, "patience": 3,
    "min_delta": 0.01, "max_categories": 10, "task": "regression", "test_fraction": 0.3,
}  # fmt: skip
OPTIONS = TrainOptions.options()


def command_line(name: str, value: Any) -> list[str]:
    flag = "--" + name.replace("_", "-")
    if isinstance(value, bool):
        return [flag if value else f"--no-{flag[2:]}"]
    if isinstance(value, list):
        return [flag, ",".join(map(str, value))]
    return [flag, "none" if value is None else str(value)]


def settings(*argv: str) -> TrainOptions:
    return resolve_settings(build_parser().parse_args(argv))[0]


def test_the_options_are_the_network_s_the_fit_s_and_the_run_s_each_with_a_sample_here() -> None:
    names = TrainOptions.names()
    assert len(set(names)) == len(names) and set(OTHER) == set(names)
    assert set(names) == {*NetworkConfig.names(), *TrainingConfig.names(), "task", "test_fraction"}


@pytest.mark.parametrize("item", OPTIONS, ids=[item.name for item in OPTIONS])
def test_every_option_is_a_flag_a_config_key_and_a_train_field(item: Option, tmp_path: Path) -> None:
    name, value = item.name, OTHER[item.name]
    wanted = getattr(TrainOptions.from_mapping({name: value}), name)
    assert wanted != item.default
    assert getattr(settings(*command_line(name, value)), name) == wanted
    for key in {name, name.replace("_", "-")}:
        config = tmp_path / "train.json"
        config.write_text(json.dumps({key: value}))
        assert getattr(settings("--config", str(config)), name) == wanted
    request = TrainRequest.model_validate({"dataset": "iris", name: value})
    assert request.hyperparameters() == {name: value}
    assert getattr(TrainOptions.from_mapping(request.hyperparameters()), name) == wanted


@pytest.mark.parametrize("item", OPTIONS, ids=[item.name for item in OPTIONS])
def test_every_option_has_one_default_in_the_library_the_cli_the_config_and_train(item: Option) -> None:
    name = item.name
    assert getattr(settings(), name) == getattr(TrainOptions(), name) == item.default
    assert TrainRequest.model_fields[name].default is item.default
    assert TrainRequest.model_validate({"dataset": "iris"}).hyperparameters() == {}
    for library in (NetworkConfig, TrainingConfig):
        if name in library.names():
            assert getattr(library(), name) == item.default


def test_the_openapi_document_lists_every_option_with_its_default_and_rule() -> None:
    properties = build_document(None, "test", 100)["components"]["schemas"]["TrainRequest"]["properties"]
    for item in OPTIONS:
        schema = properties[item.name]
        assert schema["default"] == (list(item.default) if isinstance(item.default, tuple) else item.default)
        assert schema["description"] == item.rule.help
    assert properties["optimizer"]["enum"] == ["adam", "sgd"]
    assert properties["momentum"]["minimum"] == 0 and properties["momentum"]["exclusiveMaximum"] == 1
    assert properties["learning_rate"]["exclusiveMinimum"] == 0
    assert properties["hidden"]["items"]["minimum"] == 1
    assert {"type": "null"} in properties["seed"]["anyOf"]


def test_seed_none_on_the_command_line_means_a_random_run_even_over_a_config_file(tmp_path: Path) -> None:
    config = tmp_path / "train.toml"
    config.write_text("seed = 5\n")
    assert settings("--seed", "none").seed is None
    assert settings("--config", str(config), "--seed", "none").seed is None
    assert settings("--config", str(config)).seed == 5


def test_no_nesterov_on_the_command_line_wins_over_a_config_file(tmp_path: Path) -> None:
    config = tmp_path / "train.toml"
    config.write_text("nesterov = true\n")
    assert settings("--config", str(config)).nesterov is True
    assert settings("--config", str(config), "--no-nesterov").nesterov is False


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: TrainOptions(batch_size=0), "batch_size"),
        (lambda: TrainingConfig(momentum=1.0), "momentum"),
        (lambda: NetworkConfig(hidden="8,x"), "hidden"),
        (lambda: TrainOptions.from_mapping({"epochz": 3}), "epochz"),
        (lambda: TrainOptions.from_mapping([("epochs", 3)]), None),
    ],
)
def test_config_errors_carry_the_field_they_are_about(make: Any, field: str | None) -> None:
    with pytest.raises(InvalidConfigError) as raised:
        make()
    assert raised.value.field == field


def test_values_are_normalized_by_their_rule() -> None:
    config = TrainingConfig(learning_rate=1, epochs=3)
    assert isinstance(config.learning_rate, float) and config.learning_rate == 1.0
    assert NetworkConfig(hidden="16, 8").hidden == (16, 8) and NetworkConfig(hidden=[]).hidden == ()
