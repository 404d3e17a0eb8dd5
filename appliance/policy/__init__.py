"""Policies: choose an action for a context, learn from joined events."""

from appliance.policy.base import Decision, JoinedEvent, Outcome, Policy
from appliance.policy.fake import UniformPolicy

__all__ = ["Decision", "JoinedEvent", "Outcome", "Policy", "UniformPolicy"]
