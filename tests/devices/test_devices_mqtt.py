"""Actions published to and rewards consumed from a real mosquitto broker on 127.0.0.1, through the real loop."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from devices_support import wait_until
from pydantic import TypeAdapter

from appliance.config.actuators import ActuatorConfig
from appliance.config.feedback import FeedbackConfig
from appliance.devices import Devices

CONTEXT = {"sensors": {"loud": 0.3}}


def configs(broker: Any, actions_topic: str, rewards_topic: str) -> tuple[list[ActuatorConfig], list[FeedbackConfig]]:
    actuators = TypeAdapter(list[ActuatorConfig]).validate_python([{
        "type": "mqtt", "name": "scene", "host": broker.host, "port": broker.port, "topic": actions_topic,
        "payloads": {"warm": {"scene": "sunset"}},
    }])
    feedback = TypeAdapter(list[FeedbackConfig]).validate_python([{
        "type": "mqtt", "name": "replies", "host": broker.host, "port": broker.port, "topic": rewards_topic,
        "attribution_window_s": 60,
    }])
    return actuators, feedback


def test_actions_published_and_rewards_consumed_end_to_end(mosquitto: Any, make_loop: Any, clock: Any) -> None:
    loop = make_loop(reward_wait_s=30)
    actuators, feedback = configs(mosquitto, "e2e/action", "e2e/reward")
    seen: list[tuple[str, dict[str, Any]]] = []

    # The "device" on the other side: answers every action with a reward for its event id (1 for warm).
    device = mosquitto.client(topics=("e2e/action",))

    def answer(topic: str, payload: bytes) -> None:
        message = json.loads(payload)
        seen.append((topic, message))
        if message.get("event_id"):
            reply = {"event_id": message["event_id"], "reward": 1.0 if message["action"] == "warm" else 0.25}
            device.publish("e2e/reward", json.dumps(reply), qos=1)

    device.on_message = lambda c, u, m: answer(m.topic, m.payload)
    devices = Devices.from_config(actuators, feedback)
    devices.start(loop)
    try:
        wait_until(lambda: devices.stats()["feedback"]["replies"]["connected"] and devices.stats()["actuators"]["scene"]["connected"],
                   what="both MQTT clients connected")
        decisions = [loop.decide(CONTEXT)[0] for _ in range(5)]
        wait_until(lambda: devices.stats()["feedback"]["replies"]["accepted"] == 5, what="5 rewards accepted")
        by_id = {m["event_id"]: m for _, m in seen}
        for d in decisions:
            assert by_id[d.event_id]["action"] == d.action and by_id[d.event_id]["probability"] == d.probability
            assert by_id[d.event_id].get("payload") == ({"scene": "sunset"} if d.action == "warm" else None)
        clock.advance(31)
        joined = {e.decision.event_id: e.reward for e in loop.tick()}
        assert joined == {d.event_id: (1.0 if d.action == "warm" else 0.25) for d in decisions}
    finally:
        devices.stop()
        # the safe state reached the broker before the actuator's client left: the device receives it
        try:
            wait_until(lambda: bool(seen) and seen[-1] == ("e2e/action", {"action": None, "state": "safe"}),
                       what="the safe-state message delivered")
        finally:
            device.loop_stop()
            device.disconnect()


def test_bad_feedback_is_counted_and_never_corrupts_the_join(mosquitto: Any, make_loop: Any, clock: Any) -> None:
    loop = make_loop(reward_wait_s=30)
    actuators, feedback = configs(mosquitto, "bad/action", "bad/reward")
    devices = Devices.from_config([], feedback)
    devices.start(loop)
    sender = mosquitto.client()
    try:
        wait_until(lambda: devices.stats()["feedback"]["replies"]["connected"], what="the feedback client connected")
        decision, _ = loop.decide(CONTEXT)
        # past Python's limits too (a 5,000-digit number, arrays nested 100,000 deep): not the end of paho's thread
        too_much = [b'{"reward": ' + b"1" * 5000 + b"}", b"[" * 100_000]
        for message in [b"not json", b'{"reward": "lots"}', b'{"event_id": "nope", "reward": 1}', b'{"reward": NaN}',
                        b'{"event_id": 7, "reward": 1}', b"[1, 2]", b"\xff\xfe", *too_much,
                        b'{"event_id": "%s", "reward": 0.75}' % decision.event_id.encode()]:
            sender.publish("bad/reward", message, qos=1).wait_for_publish(5)
        stats = wait_until(lambda: (s := devices.stats()["feedback"]["replies"])["messages"] == 10 and s, what="10 messages")
        assert (stats["accepted"], stats["unknown"], stats["bad"]) == (1, 1, 8)
        assert devices.stats()["feedback_totals"]["bad"] == 8
        clock.advance(31)
        assert [(e.decision.event_id, e.reward) for e in loop.tick()] == [(decision.event_id, 0.75)]
    finally:
        devices.stop()
        sender.loop_stop()
        sender.disconnect()


def test_with_a_client_id_rewards_sent_while_the_daemon_is_away_arrive_when_it_is_back(mosquitto: Any, make_loop: Any) -> None:
    # a restart or a config change takes the subscriber away for a moment: with a random id and a clean session
    # the broker dropped what was sent meanwhile; with a client_id it keeps the session and hands them over
    loop = make_loop(reward_wait_s=60)
    feedback = TypeAdapter(list[FeedbackConfig]).validate_python([{
        "type": "mqtt", "name": "replies", "host": mosquitto.host, "port": mosquitto.port, "topic": "away/reward",
        "client_id": "wabbit-replies"}])
    decision = loop.decide(CONTEXT)[0]
    first = Devices.from_config([], feedback)
    first.start(loop)
    wait_until(lambda: first.stats()["feedback"]["replies"]["connected"], what="the feedback connected")
    first.stop()  # away
    sender = mosquitto.client()
    try:
        sender.publish("away/reward", json.dumps({"event_id": decision.event_id, "reward": 1.0}), qos=1).wait_for_publish(5)
        back = Devices.from_config([], feedback)
        back.start(loop)
        try:
            wait_until(lambda: back.stats()["feedback"]["replies"]["accepted"] == 1, what="the reward sent while away")
        finally:
            back.stop()
    finally:
        sender.loop_stop()
        sender.disconnect()


@pytest.mark.parametrize("qos", [1, 0])
def test_publishing_never_blocks_while_the_broker_is_away(make_loop: Any, qos: int) -> None:
    from devices_support import free_port

    loop = make_loop()
    actuators = TypeAdapter(list[ActuatorConfig]).validate_python([{"type": "mqtt", "name": "away", "port": free_port(), "qos": qos}])
    devices = Devices.from_config(actuators, [])
    devices.start(loop)
    done = threading.Event()
    threading.Thread(target=lambda: (loop.decide(CONTEXT)[1].wait(), done.set()), daemon=True).start()
    assert done.wait(2.0) and loop.bus.flush(2.0)  # the actuator publishes on the bus's thread
    stats = devices.stats()["actuators"]["away"]
    assert stats["connected"] is False and stats["errors"] == 0
    # QoS 1 waits in paho's queue for the broker; QoS 0 is never queued: dropped, and counted so, not as published
    assert (stats["published"], stats["dropped"]) == ((1, 0) if qos else (0, 1))
    devices.stop()


def test_topics_a_broker_cannot_take_are_config_errors() -> None:
    # paho refuses them only once running: a feedback filter with '#' in the middle ended its network thread in the
    # subscribe after connecting (the source silently never connected), a wildcard in an actuator topic failed every decision
    import pytest
    from pydantic import ValidationError

    for topic in ["home/#/reward", "home/room+/reward", "home/reward#"]:
        with pytest.raises(ValidationError, match="not an MQTT subscription filter"):
            TypeAdapter(FeedbackConfig).validate_python({"type": "mqtt", "topic": topic})
    for good in ["home/+/reward", "home/#", "#"]:
        assert TypeAdapter(FeedbackConfig).validate_python({"type": "mqtt", "topic": good}).topic == good
    for extra in [{"topic": "lamp/+"}, {"topics": {"warm": "lamp/#"}}]:
        with pytest.raises(ValidationError, match="holds a wildcard"):
            TypeAdapter(ActuatorConfig).validate_python({"type": "mqtt", **extra})


def test_two_mqtt_parts_with_one_client_id_on_one_broker_are_a_config_error() -> None:
    # a broker lets one connection hold a client id: the second takes it over, the first reconnects and takes it
    # back, and so on ("Unspecified error" in the log), losing the rewards sent to whichever is away
    import pytest
    from pydantic import ValidationError

    from appliance.config import AppConfig

    twins = {"actuators": [{"type": "mqtt", "client_id": "wabbit"}], "feedback": [{"type": "mqtt", "client_id": "wabbit"}]}
    with pytest.raises(ValidationError, match=r"client_id 'wabbit' is used by actuators\[0\] and feedback\[0\] on 127.0.0.1:1883"):
        AppConfig.model_validate(twins)
    twins["feedback"][0]["port"] = 1884  # another broker: fine
    assert AppConfig.model_validate(twins).feedback[0].client_id == "wabbit"
    assert AppConfig.model_validate({"actuators": [{"type": "mqtt"}], "feedback": [{"type": "mqtt"}]})  # random ids
