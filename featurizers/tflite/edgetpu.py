"""Coral Edge TPU: the TFLite interpreter with the ``libedgetpu`` delegate.

``load_delegate`` raises ``OSError`` when the library is missing and ``ValueError`` when no TPU
answers; both mean "fall back to the CPU" (done by :func:`featurizers.tflite.backends.make_backend`).
"""

from __future__ import annotations

import ctypes
from typing import Any

from featurizers.errors import BackendUnavailableError
from featurizers.tflite.runtime import InterpreterBackend, import_runtime


def edgetpu_backend(model_path: str, library: str = "libedgetpu.so.1", *, threads: int = 1,
                    load_delegate: Any = None, interpreter_factory: Any = None) -> InterpreterBackend:
    """An interpreter with the Edge TPU delegate, or :class:`BackendUnavailableError`."""
    if load_delegate is None:
        _, load_delegate, _ = import_runtime()
        try:  # LiteRT's Delegate.__del__ errors when the library is missing: check it first
            ctypes.CDLL(library)
        except OSError as err:
            raise BackendUnavailableError(f"Edge TPU delegate {library!r} did not load (OSError: {err}); "
                                          "install libedgetpu1-std from the Coral apt repository") from err
    try:
        delegate = load_delegate(library)
    except (OSError, ValueError) as err:
        raise BackendUnavailableError(f"Edge TPU delegate {library!r} did not load ({type(err).__name__}: "
                                      f"{err})") from err
    return InterpreterBackend(model_path, threads=threads, delegates=[delegate], name="edgetpu",
                              interpreter_factory=interpreter_factory)
