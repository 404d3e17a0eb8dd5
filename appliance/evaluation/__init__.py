"""Off-policy evaluation of candidate policies on DSJSON logs (``wabbit evaluate``): the logged online policy,
uniform random, each constant action and any VW configuration, learned counterfactually by replaying the log.
"""

from appliance.evaluation.candidates import Candidate, Constant, Logged, RewardModel, Uniform, VWCandidate, parse_policy
from appliance.evaluation.report import table, verdict, with_verdicts
from appliance.evaluation.run import Evaluation, evaluate, first_actions

__all__ = ["Candidate", "Constant", "Evaluation", "Logged", "RewardModel", "Uniform", "VWCandidate", "evaluate", "first_actions",
           "parse_policy", "table", "verdict", "with_verdicts"]
