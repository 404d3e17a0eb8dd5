"""Request and response bodies of ``/api/models``: every field described and bounded.

>>> ModelCreate.model_validate({"name": "ratings", "vw_arguments": "--oaa 3"}).vw_arguments
'--oaa 3'
>>> ModelExamples.model_validate({"format": "text", "examples": ["1 | a"]}).examples
['1 | a']
"""

from typing import Annotated, Any, Literal, Sequence

from pydantic import BaseModel, Field, StringConstraints

from appliance.models.base import Prediction
from appliance.server.schemas import Body

ModelName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,62}$")]


class ModelCreate(Body):
    name: ModelName = Field(description="The new model's name: lower-case letters, digits, '.', '_', '-' (up to 63).")
    vw_arguments: str | None = Field(None, max_length=4096, description='A vw model\'s VW arguments, e.g. "--oaa 3 -q ab" '
                                     "(add --dsjson for DSJSON examples). Options that touch files or sockets are refused.")
    config_yaml: str | None = Field(None, max_length=262_144, description="A loop model's config (YAML, as for the daemon; "
                                    "no devices; no simulated world unless it names one).")


class ModelInfo(BaseModel):
    name: str = Field(description="The model's name (default: the daemon's own).")
    kind: Literal["loop", "vw"] = Field(description="loop: decides and learns rewards; vw: predicts and learns raw examples.")
    ready: bool = Field(description="Whether it answers calls now (a loop model in safe mode does not).")
    status: dict[str, Any] = Field(description="Its state and counters.")


class ModelExamples(Body):
    format: Literal["text", "dsjson"] = Field(description="text: VW's text format (a multi-line example's lines joined by "
                                              "newlines); dsjson: one DSJSON line per example.")
    examples: list[Annotated[str, Field(max_length=1_000_000)]] = Field(min_length=1, max_length=10_000, description="The examples.")


class PredictionBody(BaseModel):
    type: str = Field(description="VW's prediction type: scalar, scalars, multiclass, action_scores, action_probs, ...")
    value: Any = Field(description="A number or a list of numbers (one per action for action_scores and action_probs).")


class ModelPredictions(BaseModel):
    predictions: list[PredictionBody] = Field(description="One per example, in order.")

    @classmethod
    def of(cls, predictions: Sequence[Prediction]) -> "ModelPredictions":
        return cls(predictions=[PredictionBody(type=p.type, value=p.value) for p in predictions])


class ModelLearned(BaseModel):
    learned: int = Field(description="How many examples were learned (durable before this answer).")


class ModelStatisticsResponse(BaseModel):
    model_version: int = Field(description="Examples (or events) the model has learned.")
    examples: int = Field(description="Examples learned.")
    weighted_examples: float = Field(description="Their total importance weight, as VW counts it.")
    sum_loss: float = Field(description="VW's progressive loss, summed.")
    average_loss: float | None = Field(description="sum_loss / weighted_examples (null before any).")
    features: int | None = Field(description="Features in the examples learned (interaction terms included; null for a loop whose policy is not VW).")
    nonzero_weights: int | None = Field(description="VW weights that are not zero (null for a loop whose policy is not VW).")


class ModelVersionInfo(BaseModel):
    version: int = Field(description="The model version saved.")
    created: float = Field(description="When (Unix seconds).")
    sha256: str = Field(description="The model file's SHA-256.")
    size: int = Field(description="The model file's size in bytes.")
    origin: str = Field("", description="Where it came from: `upload`, `bundle`, `rollback` or `source NAME` (a model "
                        "source); empty for a version the model learned to (or one saved before origins were kept).")
    source_version: int | None = Field(None, description="The version its origin named: an upload's `model_version`, a "
                                       "bundle's packed version, the version rolled back to, the version a model source "
                                       "publishes; null when it named none.")


class ModelRollback(Body):
    version: int = Field(ge=0, le=2**62, description="A saved version (GET .../versions lists them).")
