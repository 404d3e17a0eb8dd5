"""What an upload loads, over gRPC (``Management.Upload``) and HTTP (``PUT /api/models/{name}/model``): a model file
into a named model, or a bundle (``wabbit model pack``) served as ``wabbit model serve`` serves it, through
:meth:`ModelHost.install <appliance.models.base.ModelHost.install>`. Either is checked in a child process and
swapped in atomically; one that fails changes nothing.
"""

from __future__ import annotations

import tarfile
from pathlib import Path

from appliance.errors import UsageError
from appliance.models.base import ModelHost, ModelVersion

UPLOADED = "the uploaded bundle"
"""How errors name an uploaded bundle (its file on the server is a temporary one the user never named)."""


def load_upload(host: ModelHost, name: str, path: Path, *, bundle: bool, model_version: int | None) -> ModelVersion:
    """Load the uploaded file ``path`` and return the version it runs as.

    ``bundle``: ``path`` is a bundle, served as ``name`` (``""``: the bundle's own name): a new model, or a new version of
    the model of that name if it runs the bundle's VW arguments (or config). Otherwise ``path`` is a model file for the
    model ``name`` (``""``: the default one). Either runs as :func:`~appliance.models.base.version_above` says: the
    version asked for (the bundle's packed one, ``model_version``) when it is above every version the model has had,
    else the next one above them, so a model's versions only go up.
    """
    if bundle:
        if model_version is not None:
            raise UsageError("a bundle asks for the version packed in it: leave the version unset, or pack it again with "
                             "`wabbit model pack --model-version N`")
        return host.install(path, name or None, update=True, shown=UPLOADED)[1]
    if tarfile.is_tarfile(path):
        raise UsageError("this file is a model bundle (`wabbit model pack` writes them), not a model file: upload it as a bundle "
                         "(gRPC: bundle: true in the first chunk; HTTP: ?bundle=true; the Python client: upload(..., bundle=True))")
    return host.get(name).load_file(path, model_version)
