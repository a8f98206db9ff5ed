"""End to end: the real ``tritonclient.http`` against real gunicorn on 127.0.0.1 (V2 protocol)."""

from __future__ import annotations

import numpy as np
import pytest
from servers import gunicorn

from model.store import ModelStore

httpclient = pytest.importorskip(
    "tritonclient.http", reason="tritonclient[http] (dev extra) is not installed"
)
from tritonclient.utils import InferenceServerException  # noqa: E402  (after the skip)


@pytest.fixture(scope="module")
def server(tmp_path_factory, iris_net):
    root = tmp_path_factory.mktemp("v2")
    ModelStore(root / "store").publish(iris_net.save, {})
    env = {"MLP_MODEL_DIR": str(root / "store"), "MLP_METRICS_DIR": str(root / "metrics")}
    with gunicorn(env, root / "log", workers=1) as running:
        yield running


@pytest.fixture(scope="module")
def triton(server):
    client = httpclient.InferenceServerClient(f"127.0.0.1:{server.port}")
    yield client
    client.close()


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
