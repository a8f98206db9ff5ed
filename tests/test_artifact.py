"""Save/load round trips, and every broken file is refused with ArtifactError."""

from __future__ import annotations

import copy
import io
import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from model import ArtifactError, Network, load


@pytest.fixture(scope="module")
def trained(iris) -> Network:
    x, y = iris
    net = Network(hidden=(8, 4), seed=0)
    net.fit(x, y, epochs=20, learning_rate=1e-2, val_fraction=0.2, feature_names=["sl", "sw", "pl", "pw"])
    return net


@pytest.fixture
def saved(trained: Network, tmp_path: Path) -> Path:
    path = tmp_path / "model.npz"
    trained.save(path)
    return path


def rewrite(path: Path, change) -> None:
    """Apply ``change(arrays: dict)`` to the npz at ``path`` and write it back (no checksum fix)."""
    with np.load(path) as npz:
        arrays = {name: npz[name] for name in npz.files}
    change(arrays)
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


def edit_header(arrays: dict, edit) -> None:
    header = json.loads(arrays["header"].tobytes())
    edit(header)
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)


def test_a_round_trip_gives_identical_predictions_and_metadata(trained: Network, saved: Path, iris) -> None:
    x, _ = iris
    same = load(saved)
    np.testing.assert_array_equal(same.predict_proba(x), trained.predict_proba(x))
    assert same.predict(x).tolist() == trained.predict(x).tolist()
    assert same.feature_names == ("sl", "sw", "pl", "pw")
    assert same.history.records == trained.history.records
    assert same.describe() == trained.describe()
    assert same.describe()["created_at"] is not None


def test_a_regressor_round_trip_keeps_target_units(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 2))
    net = Network(hidden=(4,), seed=0)
    net.fit(x, 500 + 100 * x[:, 0], epochs=5)
    net.save(tmp_path / "r.npz")
    np.testing.assert_array_equal(load(tmp_path / "r.npz").predict(x), net.predict(x))


def test_the_file_holds_no_pickle_and_loads_with_allow_pickle_false(saved: Path) -> None:
    with np.load(saved, allow_pickle=False) as npz:
        assert all(npz[name].dtype != object for name in npz.files)


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def flip_parameter(path: Path) -> None:
    rewrite(path, lambda arrays: arrays["params"].__setitem__(0, arrays["params"][0] + 1))


def future_version(path: Path) -> None:
    rewrite(path, lambda arrays: edit_header(arrays, lambda h: h.update(format_version=99)))


def tamper_header(path: Path) -> None:
    rewrite(path, lambda arrays: edit_header(arrays, lambda h: h.update(classes=["a", "b", "c"])))


def pickled(path: Path) -> None:
    path.write_bytes(pickle.dumps({"params": [1, 2, 3]}))


def object_array(path: Path) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, header=np.array([{"evil": 1}], dtype=object))
    path.write_bytes(buffer.getvalue())


def nan_parameter(path: Path) -> None:
    rewrite(path, lambda arrays: arrays["params"].__setitem__(0, np.nan))


def drop_array(path: Path) -> None:
    rewrite(path, lambda arrays: arrays.pop("x_scale"))


def not_a_zip(path: Path) -> None:
    path.write_bytes(b"\x00" * 100)


def empty(path: Path) -> None:
    path.write_bytes(b"")


def foreign_npz(path: Path) -> None:
    with open(path, "wb") as handle:
        np.savez(handle, weights=np.ones(3))


def bad_zip_member(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("header.npy", b"garbage")


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (truncate, "not a valid model file"),
        (flip_parameter, "checksum mismatch"),
        (future_version, "unsupported model format version 99"),
        (tamper_header, "checksum mismatch"),
        (pickled, "not a valid model file"),
        (object_array, "not a valid model file"),
        (nan_parameter, "not all finite"),
        (drop_array, "checksum mismatch"),
        (not_a_zip, "not a valid model file"),
        (empty, "not a valid model file"),
        (foreign_npz, "has no header"),
        (bad_zip_member, "not a valid model file"),
    ],
)
def test_a_broken_file_never_loads(saved: Path, breakage, message: str) -> None:
    breakage(saved)
    with pytest.raises(ArtifactError, match=message):
        load(saved)


def test_a_missing_file_is_an_artifact_error_whose_message_holds_no_path(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="cannot read model file: No such file") as caught:
        load(tmp_path / "absent.npz")
    assert str(tmp_path) not in str(caught.value)  # services pass the message on to clients


def test_saving_an_unfitted_network_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not trained yet"):
        Network().save(tmp_path / "x.npz")


def test_target_names_survive_a_round_trip_and_name_multi_label_classes(tmp_path: Path) -> None:
    x = np.random.default_rng(0).normal(size=(40, 3))
    net = Network((4,), seed=0)
    net.fit(x, (x > 0).astype(int), epochs=2, target_names=["a", "b", "c"])
    net.save(tmp_path / "m.npz")
    again = load(tmp_path / "m.npz")
    assert again.target_names == ("a", "b", "c") and list(again.classes) == ["a", "b", "c"]
    assert again.describe()["target_names"] == ["a", "b", "c"]


def signed_edit(edit):
    """A change of the header that re-computes the checksum, as a writer of such a file would."""
    from model.nn.artifact import _checksum

    def change(arrays: dict) -> None:
        header = json.loads(arrays["header"].tobytes())
        del header["checksum"]
        edit(header)
        rest = {name: array for name, array in arrays.items() if name != "header"}
        header["checksum"] = {"algorithm": "sha256", "value": _checksum(rest, header)}
        arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)

    return change


def test_a_file_written_before_target_names_existed_still_loads(saved: Path) -> None:
    rewrite(saved, signed_edit(lambda header: header.pop("target_names")))
    assert load(saved).target_names is None


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda h: h.update(classes=["a", "b"]), "output size disagrees"),
        (lambda h: h.update(classes=None), "classes are given exactly for classifiers"),
        (lambda h: h.update(task="regression"), "does not serve the task"),
        (lambda h: h.update(task="ranking"), "task must be one of"),
        (lambda h: h["architecture"].update(hidden=[8, 5]), "architecture disagrees"),
        (lambda h: h["architecture"].update(activation="swish"), "activation must be one of"),
        (lambda h: h["architecture"].update(dtype="float64"), "architecture disagrees"),
        (lambda h: h.update(feature_names=["sl"]), "feature names"),
        (lambda h: h["training"].update(seed=-1), "seed must be"),
        (lambda h: h.pop("multilabel"), "header is inconsistent"),
    ],
)
def test_a_signed_file_whose_parts_disagree_never_loads(saved: Path, edit, message: str) -> None:
    rewrite(saved, signed_edit(edit))
    with pytest.raises(ArtifactError, match=message):
        load(saved)


def test_a_network_rebuilt_from_its_state_predicts_the_same(trained: Network, iris) -> None:
    x, _ = iris
    same = Network.from_state(trained.hyperparameters, copy.deepcopy(trained.state))
    np.testing.assert_array_equal(same.predict_proba(x), trained.predict_proba(x))
    assert same.describe() == trained.describe()


def test_a_warm_started_model_is_a_new_version_with_its_own_creation_time(iris, tmp_path: Path) -> None:
    x, y = iris
    net = Network((4,), seed=0)
    net.fit(x, y, epochs=2)
    net.save(tmp_path / "base.npz")
    rewrite(tmp_path / "base.npz", signed_edit(lambda h: h.update(created_at="2001-01-01T00:00:00+00:00")))
    base = load(tmp_path / "base.npz")
    assert base.created_at == "2001-01-01T00:00:00+00:00"
    base.fit(x, y, epochs=1, warm_start=True)
    base.save(tmp_path / "warm.npz")
    created = load(tmp_path / "warm.npz").created_at
    assert created is not None and created > "2001-01-01T00:00:00+00:00"


def test_a_classifier_of_many_classes_keeps_its_confusion_matrix_out_of_the_header(tmp_path: Path) -> None:
    from model.nn.metrics import MAX_CONFUSION_CLASSES

    n = MAX_CONFUSION_CLASSES + 1
    x = np.arange(4 * n, dtype=float).reshape(-1, 1)
    net = Network((4,), task="classification", seed=0)
    net.fit(x, np.arange(4 * n) % n, epochs=1, val_fraction=0.5)
    assert "confusion_matrix" not in net.describe()["metrics"]["validation"]
    assert set(net.evaluate(x, np.arange(4 * n) % n)) == {"accuracy", "log_loss"}
