"""pydantic v2 models of the Open Inference Protocol (V2) REST bodies this service speaks.

Spec: kserve/open-inference-protocol, ``specification/protocol/inference_rest.md``, plus
Triton's binary tensor data extension (``parameters.binary_data_size`` on inputs and outputs,
``binary_data`` on requested outputs, ``binary_data_output`` on the request). Requests are
strict like the rest of the API (no "1.5" strings, no booleans as numbers, no NaN or
infinities); parameter objects accept unknown keys, which the spec lets servers ignore.
Errors use the project's one ``ErrorBody``, whose ``error`` string is what V2 clients read.
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from .schemas import Response, StrictRequest

InputDatatype = Literal["FP32", "FP64"]
INPUT_DATATYPES = get_args(InputDatatype)
Dimension = Annotated[int, Field(ge=0)]


class Parameters(BaseModel):
    """A V2 ``$parameters`` object: known keys are checked, other keys are accepted and ignored."""

    model_config = ConfigDict(extra="allow", strict=True, allow_inf_nan=False)


# ---------------------------------------------------------------- health and metadata
class V2ServerLive(Response):
    live: bool


class V2ServerReady(Response):
    ready: bool


class V2ServerMetadata(Response):
    name: str
    version: str
    extensions: list[str] = Field(description='"binary_tensor_data": raw tensor bytes after the JSON.')


class V2TensorMetadata(Response):
    name: str
    datatype: str = Field(description="FP32, FP64, INT64 or BYTES.")
    shape: list[int] = Field(description="-1 marks the batch dimension.")


class V2ModelMetadata(Response):
    name: str
    versions: list[str] = Field(description="Stored version ids, addressable under /versions/<id>.")
    platform: str
    inputs: list[V2TensorMetadata]
    outputs: list[V2TensorMetadata]


class V2ModelReady(Response):
    name: str
    ready: bool


# ---------------------------------------------------------------- inference request
class V2InputParameters(Parameters):
    binary_data_size: Dimension | None = Field(
        None, description="Binary extension: the tensor is this many raw bytes after the JSON."
    )


class V2RequestInput(StrictRequest):
    name: str = Field(description='The model\'s one input: "input".')
    shape: Annotated[list[Dimension], Field(min_length=1, max_length=8)] = Field(
        description="[batch, n_features]."
    )
    datatype: InputDatatype = Field(description="FP32 or FP64.")
    parameters: V2InputParameters | None = None
    data: (
        Annotated[
            list[float] | list[list[float]],
            Field(union_mode="left_to_right", description="Row-major flat values, or one list per row."),
        ]
        | None
    ) = None


class V2OutputParameters(Parameters):
    binary_data: bool | None = Field(None, description="Binary extension: send this output as raw bytes.")


class V2RequestOutput(StrictRequest):
    name: str = Field(description='"predictions" or "probabilities" (classifiers).')
    parameters: V2OutputParameters | None = None


class V2RequestParameters(Parameters):
    binary_data_output: bool = Field(
        False, description="Binary extension: outputs default to raw bytes unless they say otherwise."
    )


class V2InferenceRequest(StrictRequest):
    id: str | None = Field(None, description="Echoed in the response.")
    parameters: V2RequestParameters | None = None
    inputs: Annotated[list[V2RequestInput], Field(min_length=1)]
    outputs: list[V2RequestOutput] | None = Field(None, description="Default: every output of the model.")


# ---------------------------------------------------------------- inference response
class V2ResponseOutput(Response):
    name: str
    datatype: str
    shape: list[int]
    parameters: dict[str, int] | None = Field(None, description="binary_data_size for binary outputs.")
    data: list[float] | list[int] | list[str] | None = Field(None, description="Row-major flat values.")


class V2InferenceResponse(Response):
    model_name: str
    model_version: str
    id: str | None = None
    outputs: list[V2ResponseOutput]
