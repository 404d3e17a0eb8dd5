"""Checks across the device sections and the policy: the actions actuators and feedback name must be declared.

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
