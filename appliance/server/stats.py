"""One stats snapshot, rendered for Prometheus; and the host's own health (CPU temperature, throttling).

>>> text = prometheus({"uptime_s": 3.0, "loop": {"learned": 5, "pending": 2, "model_version": 5,
...     "reward_avg": 0.5, "random_reward_ips": None, "join": {"joined": 5}}, "workers": {"join-learn":
...     {"alive": True, "steps": 9, "errors": 0, "restarts": 1}}, "rates": {"decisions_per_s": 1.5}})
>>> print("\\n".join(line for line in text.splitlines() if line.startswith("wabbit_worker_restarts")))
wabbit_worker_restarts_total{worker="join-learn"} 1
>>> live = prometheus({"sensing": {"sources": {"mic": {"fps": 10.0, "dropped": 0, "state": "running"}},
...     "featurizers": {"audio": {"ms_mean": 0.9}}}, "triggers": {"fired": {"clap": 3}}})
>>> print("\\n".join(line for line in live.splitlines() if not line.startswith("#") and "up" not in line))
wabbit_source_fps{source="mic"} 10
wabbit_source_dropped_total{source="mic"} 0
wabbit_source_running{source="mic"} 1
wabbit_featurizer_milliseconds{namespace="audio"} 0.9
wabbit_trigger_fired_total{trigger="clap"} 3
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

THERMAL = Path("/sys/class/thermal/thermal_zone0/temp")
THROTTLED = Path("/sys/devices/platform/soc/soc:firmware/get_throttled")


def host_stats() -> dict[str, Any]:
    """CPU temperature (any Linux with a thermal zone), throttling flags (a Pi), load average."""
    info: dict[str, Any] = {"cpu_temperature_c": None, "throttled": None, "load_avg_1m": os.getloadavg()[0]}
    try:
        info["cpu_temperature_c"] = int(THERMAL.read_text()) / 1000
    except (OSError, ValueError):
        pass
    try:
        info["throttled"] = int(THROTTLED.read_text().strip(), 16)
    except (OSError, ValueError):
        if Path("/proc/device-tree/model").exists():
            try:
                out = subprocess.run(["vcgencmd", "get_throttled"], capture_output=True, text=True, timeout=2).stdout
                info["throttled"] = int(out.strip().partition("=")[2], 16)
            except (OSError, ValueError, subprocess.SubprocessError):
                pass
    return info


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)) and value == value:
        return float(value)
    return None


def _label(value: str) -> str:
    r"""A Prometheus label value, escaped.

    >>> print(_label('vw: "a"\\b'))
    vw: \"a\"\\b
    """
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def prometheus(snapshot: dict[str, Any]) -> str:
    """The snapshot in Prometheus text format (version 0.0.4)."""
    lines: list[str] = []

    def metric(name: str, kind: str, help_: str, samples: list[tuple[str, Any]]) -> None:
        values = [(labels, _number(v)) for labels, v in samples]
        values = [(labels, v) for labels, v in values if v is not None]
        if values:
            lines.append(f"# HELP {name} {help_}")
            lines.append(f"# TYPE {name} {kind}")
            lines.extend(f"{name}{labels} {v:g}" for labels, v in values)

    loop = snapshot.get("loop") or {}
    join = loop.get("join") or {}
    rates = snapshot.get("rates") or {}
    workers = snapshot.get("workers") or {}
    host = snapshot.get("host") or {}
    metric("wabbit_up", "gauge", "1 when the loop runs, 0 in safe mode (invalid config).", [("", snapshot.get("mode") != "safe")])
    metric("wabbit_uptime_seconds", "gauge", "Seconds since the daemon started.", [("", snapshot.get("uptime_s"))])
    metric("wabbit_model_version", "gauge", "Events the model has learned.", [("", loop.get("model_version"))])
    metric("wabbit_learned_total", "counter", "Events learned since start.", [("", loop.get("learned"))])
    metric("wabbit_pending_joins", "gauge", "Decisions waiting for their rewards.", [("", loop.get("pending"))])
    metric("wabbit_reward_avg", "gauge", "Average reward of learned events.", [("", loop.get("reward_avg"))])
    metric("wabbit_random_reward_ips", "gauge", "Off-policy (IPS) estimate of a uniformly random policy's reward.",
           [("", loop.get("random_reward_ips"))])
    for key in ("decisions", "rewards", "duplicates", "unknown", "late", "joined", "defaulted", "overflow"):
        metric(f"wabbit_join_{key}_total", "counter", f"Joiner count: {key}.", [("", join.get(key))])
    metric("wabbit_decisions_per_second", "gauge", "Decisions per second over the last stats interval.",
           [("", rates.get("decisions_per_s"))])
    metric("wabbit_rewards_per_second", "gauge", "Rewards per second over the last stats interval.", [("", rates.get("rewards_per_s"))])
    for key, kind, help_ in (("alive", "gauge", "1 while the worker's thread runs."),
                             ("steps", "counter", "Steps the worker completed."),
                             ("errors", "counter", "Steps that raised."),
                             ("restarts", "counter", "Watchdog restarts (hung or dead).")):
        name = f"wabbit_worker_{key}" + ("_total" if kind == "counter" else "")
        metric(name, kind, help_, [(f'{{worker="{w}"}}', s.get(key)) for w, s in sorted(workers.items())])
    sensing = snapshot.get("sensing") or {}
    sources = sorted((sensing.get("sources") or {}).items())
    featurizers = sorted((sensing.get("featurizers") or {}).items())
    metric("wabbit_source_fps", "gauge", "Windows or frames per second a capture source delivers.",
           [(f'{{source="{sid}"}}', s.get("fps")) for sid, s in sources])
    metric("wabbit_source_dropped_total", "counter", "Windows or frames replaced before anyone read them.",
           [(f'{{source="{sid}"}}', s.get("dropped")) for sid, s in sources])
    metric("wabbit_source_running", "gauge", "1 while the source captures (0: opening, reconnecting, ended).",
           [(f'{{source="{sid}"}}', s.get("state") == "running") for sid, s in sources])
    metric("wabbit_featurizer_milliseconds", "gauge", "Mean milliseconds a featurizer takes per window or frame.",
           [(f'{{namespace="{ns}"}}', f.get("ms_mean")) for ns, f in featurizers])
    fired = sorted(((snapshot.get("triggers") or {}).get("fired") or {}).items())
    metric("wabbit_trigger_fired_total", "counter", "Times a trigger fired (one decision however many fire at once).",
           [(f'{{trigger="{name}"}}', n) for name, n in fired])
    values = [(f'{{observer="{_label(name)}",candidate="{_label(candidate)}"', c) for name, o in sorted((snapshot.get("observers") or {}).items())
              if o.get("type") == "policy_value" for candidate, c in sorted(o["candidates"].items()) if c.get("estimate") is not None]
    metric("wabbit_policy_value", "gauge", "A policy's estimated value (average reward) from the joined events.",
           [(f"{labels}}}", c["estimate"]) for labels, c in values])
    for index, bound in enumerate(("lower", "upper")):
        metric(f"wabbit_policy_value_{bound}", "gauge", f"The {bound} bound of the policy's value (its interval's confidence).",
               [(f"{labels}}}", c["interval"][index]) for labels, c in values])
    metric("wabbit_cpu_temperature_celsius", "gauge", "CPU temperature.", [("", host.get("cpu_temperature_c"))])
    metric("wabbit_throttled_flags", "gauge", "Raspberry Pi throttling bit field (vcgencmd get_throttled).", [("", host.get("throttled"))])
    return "\n".join(lines) + "\n"
