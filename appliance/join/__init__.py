"""Joining decisions with delayed rewards, and keeping what was acknowledged durable."""

from appliance.join.joiner import Joiner
from appliance.join.rewards import JoinStats, Reward, RewardResult

__all__ = ["JoinStats", "Joiner", "Reward", "RewardResult"]
