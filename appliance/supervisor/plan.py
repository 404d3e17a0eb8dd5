"""What a config change needs: a pure plan, computed from the old and the new config, that the supervisor applies.

Devices, the simulated world, triggers, sources, featurizers, observers, the model source and log sinks apply at once (a
first sink of the raw decisions and rewards needs a restart: the raw log opens with the loop); their parts restart
(capture only when sources or featurizers changed, the devices only when actuators or feedback did). Policy,
join, storage and server are bound to the model, the write-ahead log or the socket: they are written and
reported as needing a restart of ``wabbit run``. So is a simulated world whose actions differ (a new model).

>>> from appliance.config import AppConfig
>>> old = AppConfig()
>>> plan_change(old, AppConfig.model_validate({"triggers": {"periodic_s": 2}, "join": {"reward_wait_s": 5}}))
Plan(live=('triggers',), sensing=False, devices=False, observers=False, model_source=False, log_sinks=False, needs_restart=('join',))
>>> plan_change(old, AppConfig.model_validate({"simulation": {"world": "linear"}})).needs_restart
('policy',)
>>> live = {"policy": {"actions": [{"id": "on"}, {"id": "off"}]}, "sources": [{"type": "synthetic_audio", "id": "mic"}],
...         "featurizers": [{"type": "audio", "source": "mic"}]}
>>> other = AppConfig.model_validate({**live, "sources": [{"type": "synthetic_audio", "id": "mic", "seed": 2}]})
>>> plan = plan_change(AppConfig.model_validate(live), other)
>>> plan.live, plan.sensing
(('sources',), True)
>>> plan_change(old, old).changes_nothing
True
"""

from __future__ import annotations

from dataclasses import dataclass

from appliance.config import AppConfig

LIVE_SECTIONS = ("simulation", "sources", "featurizers", "triggers", "actuators", "feedback", "observers", "model_source", "log_sinks")
RESTART_SECTIONS = ("policy", "join", "storage", "server", "learning")


@dataclass(frozen=True)
class Plan:
    """Sections applied live and which costly parts restart with them; sections that need ``wabbit run`` restarted."""

    live: tuple[str, ...]
    sensing: bool
    devices: bool
    observers: bool
    model_source: bool
    log_sinks: bool
    needs_restart: tuple[str, ...]

    @property
    def changes_nothing(self) -> bool:
        return not self.live and not self.needs_restart


def plan_change(old: AppConfig, new: AppConfig) -> Plan:
    live = [s for s in LIVE_SECTIONS if getattr(old, s) != getattr(new, s)]
    restart = {s for s in RESTART_SECTIONS if getattr(old, s) != getattr(new, s)}
    if old.effective_policy() != new.effective_policy():
        restart.add("policy")  # another world brings other actions: a new model
        live = [s for s in live if s != "simulation"]
    if _raw(new) and not _raw(old):  # the raw log is opened with the loop
        restart.add("log_sinks")
        live = [s for s in live if s != "log_sinks"]
    return Plan(
        live=tuple(live), sensing=bool({"sources", "featurizers"} & set(live)), devices=bool({"actuators", "feedback"} & set(live)),
        observers="observers" in live, model_source="model_source" in live, log_sinks="log_sinks" in live,
        needs_restart=tuple(sorted(restart)),
    )


def _raw(config: AppConfig) -> bool:
    return any(sink.stream == "raw" for sink in config.log_sinks)
