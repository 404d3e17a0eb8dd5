"""Checks across the device sections and the policy: the actions actuators and feedback name must be declared, and
no two MQTT parts on one broker may share a client id.

Run when the config loads (``AppConfig``), when devices start, and before a config change applies.
"""

from typing import Sequence

from appliance.config.actuators import ActuatorConfig
from appliance.config.feedback import FeedbackConfig


def check_actions(
    actuators: Sequence[ActuatorConfig], feedback: Sequence[FeedbackConfig], declared: Sequence[str]
) -> list[str]:
    """Problems with action ids the device config names but the policy does not declare (empty: fine).

    >>> from appliance.config.actuators import RGBLEDConfig
    >>> check_actions([RGBLEDConfig(pins=(17, 27, 22), colours={"warm": (1, 0.5, 0), "pink": (1, 0, 1)})], [], ["warm", "cool"])
    ['actuators[0] (rgb_led): action pink is not declared in policy.actions (declared: warm, cool); fix the spelling or add it']
    """
    problems = []
    known = set(declared)
    sections: list[tuple[str, int, str, set[str]]] = [
        ("actuators", i, c.type, c.mapped_actions()) for i, c in enumerate(actuators)
    ] + [("feedback", i, c.type, set(c.actions or ())) for i, c in enumerate(feedback)]
    for section, index, kind, named in sections:
        unknown = sorted(named - known)
        if unknown:
            problems.append(
                f"{section}[{index}] ({kind}): action{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
                f"{'are' if len(unknown) > 1 else 'is'} not declared in policy.actions (declared: {', '.join(declared)}); "
                "fix the spelling or add it"
            )
    return problems


def check_client_ids(actuators: Sequence[ActuatorConfig], feedback: Sequence[FeedbackConfig]) -> list[str]:
    """Problems with MQTT client ids given to two parts on one broker: it lets one connection hold an id, so the two
    would take it from each other for ever, each losing what was sent to it while it was away (empty: fine).

    >>> from appliance.config.actuators import MQTTActuatorConfig
    >>> from appliance.config.feedback import MQTTFeedbackConfig
    >>> check_client_ids([MQTTActuatorConfig(client_id="pi")], [MQTTFeedbackConfig(client_id="pi")])
    ["client_id 'pi' is used by actuators[0] and feedback[0] on 127.0.0.1:1883; give each its own or leave them empty (random)"]
    """
    problems: list[str] = []
    seen: dict[tuple[str, str], str] = {}  # (broker, client id) -> the first part using it
    parts = [("actuators", i, c) for i, c in enumerate(actuators)] + [("feedback", i, c) for i, c in enumerate(feedback)]
    for section, index, config in parts:
        client_id = getattr(config, "client_id", "")
        if not client_id:
            continue
        broker = f"{getattr(config, 'host', '')}:{getattr(config, 'port', '')}"
        first = seen.setdefault((broker, client_id), f"{section}[{index}]")
        if first != f"{section}[{index}]":
            problems.append(f"client_id {client_id!r} is used by {first} and {section}[{index}] on {broker}; "
                            "give each its own or leave them empty (random)")
    return problems
