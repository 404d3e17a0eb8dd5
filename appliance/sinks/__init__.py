"""The ``LogSink`` role: the joined events (or raw decisions and rewards) shipped elsewhere, at least once."""

from appliance.sinks.base import LogSink, SinkError
from appliance.sinks.fake import RecordingSink
from appliance.sinks.process import ShipperProcess
from appliance.sinks.shipper import Shipper

__all__ = ["LogSink", "RecordingSink", "Shipper", "ShipperProcess", "SinkError"]
