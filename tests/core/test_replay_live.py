"""`wabbit replay --config LIVE.yaml` rebuilds, from its DSJSON log, the model a live-sensing daemon learned."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from appliance.assemble import build_policy, open_loop
from appliance.clock import FakeClock
from appliance.config import AppConfig
from appliance.features import Features
from appliance.sensing import Sensing
from appliance.storage import dsjson

RAW = {
    "policy": {"actions": [{"id": "light", "features": {"lamp": {"light": 1.0}}},
                           {"id": "dark", "features": {"lamp": {"dark": 1.0}}}]},
    "join": {"reward_wait_s": 5},
    "sources": [{"type": "synthetic_audio", "id": "mic", "window_seconds": 0.2, "hop_seconds": 0.1, "realtime": False},
                {"type": "synthetic_video", "id": "cam", "width": 64, "height": 48, "realtime": False}],
    "featurizers": [{"type": "audio", "source": "mic"}, {"type": "video", "source": "cam", "downscale": 4}],
}
CONFIG = AppConfig.model_validate(RAW)


def sensed(n: int) -> list[Features]:
    """``n`` successive live contexts from the synthetic microphone and camera, featurized as the daemon does."""
    sensing = Sensing(CONFIG.sources, CONFIG.featurizers)
    sensing.start()
    contexts: list[Features] = []
    try:
        while len(contexts) < n:
            context = sensing.context()
            if sensing.step() and set(context) == {"audio", "video"}:
                contexts.append(context)
    finally:
        sensing.stop()
    return contexts


def test_replaying_a_live_log_with_its_config_rebuilds_the_live_model(tmp_path: Path, clock: FakeClock) -> None:
    contexts = sensed(100)
    loop = open_loop(CONFIG, clock, tmp_path / "data")
    for i, context in enumerate(contexts[:80]):
        # a sound onset at start-up: the camera's first frame is not in yet, the first decision sees audio only
        decision, ticket = loop.decide({"audio": context["audio"]} if i == 0 else context, event_id=f"e{i}")
        ticket.wait()
        bright = context["video"]["brightness"] > contexts[0]["video"]["brightness"]
        loop.reward(decision.event_id, 1.0 if (decision.action == "light") == bright else 0.0)[1].wait()
        clock.advance(6)
        loop.tick()
    assert loop.learned == 80
    probes = contexts[80:]
    live = [loop.policy.decide(c, f"p{i}", 0.0).pmf for i, c in enumerate(probes)]
    loop.close()
    logs = sorted((tmp_path / "data" / "events").glob("events-*.dsjson"))
    first, _ = dsjson.decode(logs[0].read_text().splitlines()[0])
    assert set(first.decision.context) == {"audio"}  # a namespace that turns up later is crossed with the actions too

    config_file = tmp_path / "live.yaml"
    config_file.write_text(yaml.safe_dump(RAW))
    done = subprocess.run([sys.executable, "-m", "appliance", "replay", "--config", str(config_file), *map(str, logs),
                           "-o", str(tmp_path / "replayed.vw"), "--json"], capture_output=True, text=True, check=True)
    summary = json.loads(done.stdout)
    assert (summary["learned"], summary["malformed"], summary["namespaces"]) == (80, 0, ["audio", "video"])

    replayed = build_policy(CONFIG.effective_policy())
    replayed.load(tmp_path / "replayed.vw", summary["model_version"])
    for i, (context, pmf) in enumerate(zip(probes, live)):
        assert replayed.decide(context, f"r{i}", 0.0).pmf == pytest.approx(pmf, abs=1e-6)
    assert len({round(pmf[0], 3) for pmf in live}) > 1  # the live model tells these contexts apart: it learned
