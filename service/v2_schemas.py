"""pydantic v2 models of the Open Inference Protocol (V2) REST bodies this service speaks.

Spec: kserve/open-inference-protocol, ``specification/protocol/inference_rest.md``, plus
Triton's binary tensor data extension (``parameters.binary_data_size`` on inputs and outputs,
``binary_data`` on requested outputs, ``binary_data_output`` on the request). Requests are
strict like the rest of the API (no "1.5" strings, no booleans as numbers, no NaN or
infinities); parameter objects accept unknown keys, which the spec lets servers ignore.
Errors use the project's one ``ErrorBody``, whose ``error`` string is what V2 clients read.

An input tensor is one of three models, chosen by its ``datatype`` (a discriminated union, so
pydantic checks every element's type in one pass): floats (FP32, FP64), integers (INT64,
INT32) and texts (BYTES). ``null`` is a missing value in every one, and NaN in float tensors
(tritonclient's JSON mode writes NaN as the bare ``NaN`` token); infinities are refused
after parsing, with their location (``check_finite``).
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Discriminator, Field

from .schemas import Response, StrictRequest

FloatDatatype = Literal["FP32", "FP64"]
IntDatatype = Literal["INT64", "INT32"]
INPUT_DATATYPES = (*get_args(FloatDatatype), *get_args(IntDatatype), "BYTES")
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


class _Tensor(StrictRequest):
    name: str = Field(description='A feature\'s name (one input per feature), or "input" (all of them).')
    shape: Annotated[list[Dimension], Field(min_length=1, max_length=8)] = Field(
        description='"input": [batch, n_features]; a feature: [batch] or [batch, 1].'
    )
    parameters: V2InputParameters | None = None


def _data(cell: object, description: str) -> object:
    """Optional ``data``: row-major flat values, or one list per row."""
    forms = list[cell] | list[list[cell]]  # type: ignore[valid-type]
    return Annotated[forms, Field(union_mode="left_to_right", description=description)] | None


class V2FloatInput(_Tensor):
    model_config = ConfigDict(allow_inf_nan=True)  # NaN is missing; infinities are refused later
    datatype: FloatDatatype
    data: _data(float | None, "Numbers; null or NaN for a missing value.") = None  # type: ignore[valid-type]


class V2IntInput(_Tensor):
    datatype: IntDatatype
    data: _data(int | None, "Whole numbers; null for a missing value.") = None  # type: ignore[valid-type]


class V2BytesInput(_Tensor):
    datatype: Literal["BYTES"]
    data: _data(str | None, "Texts (UTF-8); null for a missing value.") = None  # type: ignore[valid-type]


V2RequestInput = Annotated[
    V2FloatInput | V2IntInput | V2BytesInput,
    Discriminator("datatype"),
    Field(description="FP32, FP64, INT64, INT32 or BYTES (categorical features)."),
]
TAG_ERRORS = ("union_tag_invalid", "union_tag_not_found")  # a datatype none of the three models has


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
