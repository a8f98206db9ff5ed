"""End to end: the real ``tritonclient.http`` against real gunicorn on 127.0.0.1 (V2 protocol)."""

from __future__ import annotations

import numpy as np
import pytest
from penguins import FEATURES
from servers import serving

httpclient = pytest.importorskip(
    "tritonclient.http", reason="tritonclient[http] (dev extra) is not installed"
)
from tritonclient.utils import InferenceServerException  # noqa: E402  (after the skip)


@pytest.fixture(scope="module")
def server(tmp_path_factory, iris_net):
    with serving(iris_net, tmp_path_factory.mktemp("v2")) as running:
        yield running


def client_of(server):
    client = httpclient.InferenceServerClient(f"127.0.0.1:{server.port}")
    yield client
    client.close()


@pytest.fixture(scope="module")
def triton(server):
    yield from client_of(server)


@pytest.fixture(scope="module")
def rows(iris) -> np.ndarray:
    """Every tenth iris row as float32, (15, 4)."""
    return iris[0][::10].astype(np.float32)


def reference(server, x: np.ndarray) -> tuple[list[str], np.ndarray, str]:
    """/predict's labels, probabilities and model version for the same rows."""
    status, _, body = server.request(
        "POST", "/predict", {"instances": x.tolist(), "return_probabilities": True}
    )
    assert status == 200
    return body["predictions"], np.float32(body["probabilities"]), body["model_version"]


def one_input(x: np.ndarray, binary: bool) -> list:
    tensor = httpclient.InferInput("input", list(x.shape), "FP32")
    tensor.set_data_from_numpy(x, binary_data=binary)
    return [tensor]


def as_text(labels: np.ndarray) -> list[str]:
    return [label.decode() if isinstance(label, bytes) else label for label in labels.tolist()]


def test_the_client_sees_a_live_ready_server_and_reads_server_and_model_metadata(triton, server) -> None:
    version = server.request("GET", "/model")[2]["version"]
    assert triton.is_server_live() and triton.is_server_ready()
    assert triton.get_server_metadata()["extensions"] == ["binary_tensor_data"]
    metadata = triton.get_model_metadata("mlp")
    assert metadata["versions"] == [version] and metadata["platform"] == "numpy-mlp"
    assert metadata["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [-1, 4]}]
    assert [output["name"] for output in metadata["outputs"]] == ["predictions", "probabilities"]
    assert triton.get_model_metadata("mlp", model_version=version) == metadata
    assert triton.is_model_ready("mlp") and triton.is_model_ready("mlp", model_version=version)
    assert not triton.is_model_ready("other")


def test_json_mode_inference_equals_predict(triton, server, rows) -> None:
    outputs = [
        httpclient.InferRequestedOutput(name, binary_data=False) for name in ("predictions", "probabilities")
    ]
    result = triton.infer("mlp", one_input(rows, binary=False), outputs=outputs, request_id="json-1")
    labels, probabilities, version = reference(server, rows)
    assert as_text(result.as_numpy("predictions")) == labels
    np.testing.assert_array_equal(result.as_numpy("probabilities"), probabilities)
    response = result.get_response()
    assert response["id"] == "json-1" and response["model_version"] == version


def test_binary_mode_inference_the_client_default_equals_predict(triton, server, rows) -> None:
    result = triton.infer("mlp", one_input(rows, binary=True))
    labels, probabilities, _ = reference(server, rows)
    assert as_text(result.as_numpy("predictions")) == labels
    np.testing.assert_array_equal(result.as_numpy("probabilities"), probabilities)
    assert all("binary_data_size" in output["parameters"] for output in result.get_response()["outputs"])


def test_a_gzip_compressed_request_and_a_pinned_version_work(triton, server, rows) -> None:
    version = server.request("GET", "/model")[2]["version"]
    outputs = [httpclient.InferRequestedOutput("predictions")]
    result = triton.infer(
        "mlp", one_input(rows, binary=True), model_version=version, outputs=outputs,
        request_compression_algorithm="gzip",
    )  # fmt: skip
    assert as_text(result.as_numpy("predictions")) == reference(server, rows)[0]
    assert result.get_output("probabilities") is None


def test_errors_surface_as_client_exceptions_with_the_server_message(triton, rows) -> None:
    wrong = httpclient.InferInput("input", [len(rows), 3], "FP32")
    wrong.set_data_from_numpy(rows[:, :3], binary_data=True)
    with pytest.raises(InferenceServerException) as error:
        triton.infer("mlp", [wrong])
    assert error.value.status() == "400" and "must be [batch, 4]" in error.value.message()

    with pytest.raises(InferenceServerException) as error:
        triton.infer(
            "mlp", one_input(rows, binary=False), outputs=[httpclient.InferRequestedOutput("labels")]
        )
    assert error.value.status() == "400" and "unknown output name" in error.value.message()

    with pytest.raises(InferenceServerException) as error:
        triton.get_model_metadata("other")
    assert error.value.status() == "404" and "unknown model" in error.value.message()


# ---------------------------------------------------------------- a mixed-type model: one tensor per feature
@pytest.fixture(scope="module")
def penguins_server(tmp_path_factory, penguins_net):
    with serving(penguins_net, tmp_path_factory.mktemp("v2-penguins")) as running:
        yield running


@pytest.fixture(scope="module")
def penguins_triton(penguins_server):
    yield from client_of(penguins_server)


PENGUINS = [  # an unknown island, missing values (None in text, NaN in numbers), two plain rows
    ["Atlantis", 47.5, 217.0, 5000.0, "male"],
    ["Biscoe", 47.5, None, None, None],
    ["Biscoe", 47.5, 217.0, 5000.0, "male"],
    ["Torgersen", 38.8, 190.0, 3700.0, "female"],
]


def feature_inputs(binary: bool, shape_1: bool = False) -> list:
    """One InferInput per feature: BYTES from object arrays, FP32 with NaN where missing."""
    inputs = []
    for j, name in enumerate(FEATURES):
        column = [row[j] for row in PENGUINS]
        if isinstance(column[0], str):
            values = np.array(column, dtype=object)  # None: tritonclient sends "None", a missing token
            datatype = "BYTES"
        else:
            values = np.array([np.nan if v is None else v for v in column], dtype=np.float32)
            datatype = "FP32"
        values = values.reshape(-1, 1) if shape_1 else values
        tensor = httpclient.InferInput(name, list(values.shape), datatype)
        tensor.set_data_from_numpy(values, binary_data=binary)
        inputs.append(tensor)
    return inputs


def test_the_client_reads_one_input_per_feature_from_a_mixed_models_metadata(penguins_triton) -> None:
    inputs = penguins_triton.get_model_metadata("mlp")["inputs"]
    datatypes = ["BYTES", "FP32", "FP32", "FP32", "BYTES"]
    assert [tensor["name"] for tensor in inputs] == list(FEATURES)
    assert [tensor["datatype"] for tensor in inputs] == datatypes


@pytest.mark.parametrize(("binary", "shape_1"), [(True, False), (False, False), (True, True)])
def test_tensors_per_feature_with_missing_values_and_an_unknown_category_equal_predict(
    penguins_triton, penguins_server, binary, shape_1
) -> None:
    result = penguins_triton.infer("mlp", feature_inputs(binary, shape_1))
    sent = [[float(np.float32(v)) if isinstance(v, float) else v for v in row] for row in PENGUINS]  # FP32
    status, _, body = penguins_server.request(
        "POST", "/predict", {"instances": sent, "return_probabilities": True}
    )
    assert status == 200 and body["unknown_categories"] == [{"row": 0, "features": ["island"]}]
    assert as_text(result.as_numpy("predictions")) == body["predictions"]
    np.testing.assert_array_equal(result.as_numpy("probabilities"), np.float32(body["probabilities"]))


def test_a_text_tensor_for_a_numeric_feature_is_400_naming_the_feature(penguins_triton) -> None:
    inputs = feature_inputs(binary=True)
    text = httpclient.InferInput("body_mass_g", [len(PENGUINS)], "BYTES")
    text.set_data_from_numpy(np.array(["heavy"] * len(PENGUINS), dtype=object))
    inputs[3] = text
    with pytest.raises(InferenceServerException) as error:
        penguins_triton.infer("mlp", inputs)
    assert error.value.status() == "400" and "feature 'body_mass_g' is numeric" in error.value.message()
