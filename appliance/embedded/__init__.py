"""The local loop as a Python API: :class:`LiveModel` (``choose_rank``, ``report_outcome``), no daemon needed."""

from appliance.embedded.live_model import LiveModel, Ranking

__all__ = ["LiveModel", "Ranking"]
