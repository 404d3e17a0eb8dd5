"""Writers, one file per format: VW text, DSJSON, and VW's FlatBuffer stream."""

from __future__ import annotations

from appliance.datagen.writers.base import Writer, WriterContext
from appliance.datagen.writers.dsjson import DSJSONWriter
from appliance.datagen.writers.text import TextWriter
from appliance.errors import UsageError

FORMATS = ("text", "dsjson", "flatbuffer")


def build_writer(name: str, context: WriterContext) -> Writer:
    """The writer of format ``name`` (one of :data:`FORMATS`); another name is a :class:`UsageError`."""
    if name not in FORMATS:
        raise UsageError(f"unknown format {name!r}; one of {', '.join(FORMATS)}")
    if name == "flatbuffer":
        from appliance.datagen.writers.flatbuffer import FlatBufferWriter  # needs the `datagen` extra

        return FlatBufferWriter(context)
    return DSJSONWriter(context) if name == "dsjson" else TextWriter(context)


__all__ = ["FORMATS", "Writer", "WriterContext", "build_writer"]
