"""Which line of a log counts for a decision whose late reward was learned as a new example.

Under ``join.late_reward: learn`` the loop learns a decision when its wait ends (with the rewards that came in time,
or the default reward), and again, as a new example, with each reward that comes after: the DSJSON log then holds
the decision's own line and one line per late reward, marked ``"_late": {"key": ...}``. The learner's last word
on the decision is its last late reward. A value counts each decision once (a late line is not a new decision:
:func:`relearned`), with the reward the learner finally used: ``wabbit evaluate`` reads the whole log, so it
counts the decision's own line with its last late reward (:class:`FinalRewards`); the live observer sees each
line as it is learned and cannot take back what it counted, so it keeps the reward the decision was first joined
with.

>>> import tempfile, pathlib
>>> line = ('{{"_label_cost":{cost},"_label_probability":0.5,"_labelIndex":0,"a":[1,2],"p":[0.5,0.5],"EventId":"{id}",'
...         '"c":{{"_multi":[{{"_id":"on"}},{{"_id":"off"}}]}}{late}}}')
>>> path = pathlib.Path(tempfile.mkdtemp()) / "log.dsjson"
>>> _ = path.write_text("\\n".join([line.format(cost=0, id="e1", late=""), line.format(cost=-1, id="e2", late=""),
...     line.format(cost=-1, id="e1", late=',"_late":{"key":"e1/r1"}'), line.format(cost=-2, id="e1", late=',"_late":{"key":"e1/r2"}')]))
>>> finals = FinalRewards([path])
>>> [(c.event.decision.event_id, c.event.reward) if c else None for c in map(finals.counted, dsjson.read([path], print))]
[('e1', 2.0), ('e2', 1.0), None, None]
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Sequence

from appliance.policy.base import JoinedEvent
from appliance.storage import dsjson

LATE_MARK = b'"_late"'
"""What every late line holds (lines without it are passed over unparsed when looking for late rewards)."""


def relearned(event: JoinedEvent) -> bool:
    """Whether ``event`` is a decision learned again with a late reward (``late_reward: learn``) rather than a
    decision of its own: a value does not count it as a new decision."""
    return event.late_key is not None


class FinalRewards:
    """The last late reward of each decision of the logs ``paths`` (read once ahead, parsing only the late lines:
    memory for the decisions that had late rewards only), and which line counts for each decision."""

    def __init__(self, paths: Sequence[Path]) -> None:
        self._final: dict[str, float] = {}
        for logged in dsjson.read(paths, lambda path, number, why: None, containing=LATE_MARK):
            if relearned(logged.event):
                self._final[logged.event.decision.event_id] = logged.event.reward
        self._counted: set[str] = set()

    @property
    def decisions(self) -> int:
        """How many decisions had late rewards learned."""
        return len(self._final)

    def counted(self, logged: dsjson.Logged) -> dsjson.Logged | None:
        """The event to count for this line, with the reward its decision was last learned with; ``None`` for a line
        of a decision already counted (its late lines, after its own). A decision whose own line is not in the logs
        counts at its first late line."""
        event_id = logged.event.decision.event_id
        final = self._final.get(event_id)
        if final is None:
            return logged
        if event_id in self._counted:
            return None
        self._counted.add(event_id)
        return replace(logged, event=replace(logged.event, reward=final))
