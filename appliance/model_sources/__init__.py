"""The ``ModelSource`` role: where new models come from (``model_source:``), and the worker that installs them."""

from appliance.model_sources.base import ModelSource, ModelSourceError, ModelUpdate, ModelUpdater
from appliance.model_sources.fake import HandedModelSource

__all__ = ["HandedModelSource", "ModelSource", "ModelSourceError", "ModelUpdate", "ModelUpdater"]
