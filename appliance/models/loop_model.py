"""A ``loop`` model: the appliance's closed loop under its supervisor, served by name.

The default model is the daemon's own supervisor; every call reaches the loop it runs now (after a config
change too), or says why there is none (safe mode). Raw predictions need a VW policy (``policy.type: vw``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from appliance.errors import UsageError
from appliance.features import Features
from appliance.join.rewards import RewardResult
from appliance.loop import Loop
from appliance.models.base import ExampleFormat, ModelKind, ModelKindError, ModelStatistics, ModelVersion, Prediction, weight_entries
from appliance.models.loop_versions import version_after
from appliance.models.predictions import predict
from appliance.policy.base import CountsFeatures, Decision, model_suffix
from appliance.storage import dsjson
from appliance.storage.wal_tickets import Ticket
from appliance.supervisor import Supervisor


class LoopModel:
    kind: ModelKind = "loop"

    def __init__(self, name: str, supervisor: Supervisor) -> None:
        self.name, self.supervisor = name, supervisor

    def ready(self) -> bool:
        return self.supervisor.loop is not None

    def running_loop(self) -> Loop:
        """The loop, or ModelKindError saying why there is none (safe mode: the config's error)."""
        loop = self.supervisor.loop
        if loop is None:
            raise ModelKindError(f"model {self.name!r} is in safe mode because {self.supervisor.safe_reason} "
                                 "Fix its config, then call again")
        return loop

    def policy_type(self) -> str:
        return self.supervisor.config.effective_policy().type

    def model_suffix(self) -> str:
        return model_suffix(self.running_loop().policy)

    def _vw_policy(self) -> Any:
        policy = self.running_loop().policy
        if not hasattr(policy, "with_workspace"):
            raise ModelKindError(f"model {self.name!r} runs policy.type {self.policy_type()} ({type(policy).__name__}), which "
                                 "has no VW model; raw examples need policy.type: vw (or a vw model)")
        return policy

    # -- the loop --------------------------------------------------------------------------------
    def decide(self, context: Features, actions: Sequence[str] | None = None, event_id: str | None = None) -> Decision:
        made = self.begin_decide(context, actions, event_id)
        assert made is not None  # it waited for the loop
        decision, ticket = made
        ticket.wait()
        return decision

    def begin_decide(
        self, context: Features, actions: Sequence[str] | None = None, event_id: str | None = None, *, wait: bool = True
    ) -> tuple[Decision, Ticket] | None:
        if not self.supervisor.config.triggers.api:
            raise ModelKindError(f"model {self.name!r}: decisions by API are switched off (triggers.api: false in its config)")
        loop = self.running_loop()
        return loop.decide(context, actions, event_id) if wait else loop.try_decide(context, actions, event_id)

    def reward(self, event_id: str, value: float, reward_id: str | None = None) -> RewardResult:
        made = self.begin_reward(event_id, value, reward_id)
        assert made is not None  # it waited for the loop
        result, ticket = made
        ticket.wait()
        return result

    def begin_reward(
        self, event_id: str, value: float, reward_id: str | None = None, *, wait: bool = True
    ) -> tuple[RewardResult, Ticket] | None:
        loop = self.running_loop()
        return loop.reward(event_id, value, reward_id) if wait else loop.try_reward(event_id, value, reward_id)

    # -- raw examples ----------------------------------------------------------------------------
    def predict(self, examples: Sequence[str], fmt: ExampleFormat) -> list[Prediction]:
        """VW text through the policy's own parser (its ADF examples: ``shared |...`` then one line per action), or
        DSJSON lines valued over their actions as a decision would be (``action_probs``, drawing nothing)."""
        policy = self._vw_policy()
        if fmt == "text":
            return policy.with_workspace(lambda workspace: predict(workspace, examples))  # type: ignore[no-any-return]
        return [Prediction("action_probs", policy.pmf(d.context, d.actions)) for d in (e.decision for e in _events(examples))]

    def learn(self, examples: Sequence[str], fmt: ExampleFormat) -> int:
        """DSJSON lines (joined events: context, actions, chosen action, its probability and cost), learned durably."""
        if fmt != "dsjson":
            raise UsageError(f"model {self.name!r} is a loop model: it learns DSJSON lines (joined events, as its own log "
                             "holds them); VW text examples go to a vw model")
        return self.running_loop().learn_events(_events(examples))

    def statistics(self) -> ModelStatistics:
        loop = self.running_loop()
        examples = int(loop.stats()["learned"])
        # The progressive loss as VW defines it for a contextual bandit, from the logged pmf: each joined event's cost
        # (-reward), since the policy logged its own pmf (tests/tensorboard/test_vw_loss.py checks the definition
        # against VW's counter). VW's own counters, which the loop's learning feeds too, start again from 0 at each start
        # (a model file loaded does not bring them back): the loop's counts are kept with its checkpoints.
        baseline = loop.learner.baseline
        weighted, sum_loss = float(baseline.count), -baseline.reward_sum
        policy = loop.policy
        nonzero = policy.with_workspace(lambda ws: len(weight_entries(ws))) \
            if hasattr(policy, "with_workspace") else None
        features = policy.features if isinstance(policy, CountsFeatures) else None  # VW's count, kept in the checkpoints
        return ModelStatistics(policy.model_version, examples, weighted, sum_loss, sum_loss / weighted if weighted else None,
                               features, nonzero)

    # -- versions --------------------------------------------------------------------------------
    def export(self) -> tuple[Path, ModelVersion]:
        loop = self.running_loop()
        meta = loop.checkpoint()
        if meta is None or loop.checkpoints is None:
            raise ModelKindError(f"model {self.name!r} keeps no checkpoints (storage.durable: false); nothing to export")
        return _newest(loop)

    def load_file(self, path: Path, model_version: int | None = None, how: str = "upload") -> ModelVersion:
        from appliance.policy.model_check import check_model_file

        loop = self.running_loop()
        check_model_file(path, self.supervisor.config.effective_policy().model_dump(mode="json", by_alias=True))
        loop.load_model(path, lambda: version_after(loop, model_version), how=how, named=model_version)
        return _newest(loop)[1]

    def versions(self) -> list[ModelVersion]:
        loop = self.running_loop()
        return [ModelVersion.of(meta, path) for meta, path in loop.checkpoints.entries()] if loop.checkpoints is not None else []

    def rollback(self, version: int) -> ModelVersion:
        loop = self.running_loop()
        for meta, path in loop.checkpoints.entries() if loop.checkpoints is not None else []:
            if meta.model_version == version:
                loop.load_model(path, lambda: version_after(loop), how="rollback", named=version)
                return _newest(loop)[1]
        other = loop.checkpoints.saved_by_other_kind(version) if loop.checkpoints is not None else None
        if other is not None:
            raise UsageError(f"model {self.name!r}: version {version} was saved by the {other} policy and policy.type is now "
                             f"{self.policy_type()}; set policy.type back to {other} in its config to roll back to it")
        raise UsageError(f"model {self.name!r} has no saved version {version}; its versions: "
                         f"{', '.join(str(v.version) for v in self.versions()) or 'none'}")

    def status(self) -> dict[str, Any]:
        loop = self.supervisor.loop
        return {"name": self.name, "kind": self.kind, "state": self.supervisor.state, "error": self.supervisor.error,
                "loop": loop.stats() if loop is not None else None}

    def close(self) -> None:
        self.supervisor.stop()


def _events(lines: Sequence[str]) -> list[Any]:
    """The joined events of DSJSON lines; UsageError naming the first line that is not one."""
    events = []
    for index, line in enumerate(lines):
        try:
            events.append(dsjson.parse(line).event)
        except ValueError as err:
            raise UsageError(f"example {index} is not a DSJSON event ({err}): {line[:120]!r}") from None
    return events


def _newest(loop: Loop) -> tuple[Path, ModelVersion]:
    """The newest checkpoint's file and version (the loop just took it)."""
    assert loop.checkpoints is not None
    meta, path = loop.checkpoints.entries()[0]
    return path, ModelVersion.of(meta, path)
