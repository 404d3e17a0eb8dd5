"""Training you can watch: TensorBoard logs of the loop and of every CLI run, hyperparameter sweeps, live plots.

- :mod:`.signals`: the contextual-bandit signals of joined events (reward, the policy's value with its confidence
  sequence, baselines, exploration, action shares, features);
- :mod:`.writers`: TensorBoard event files (tensorboardX) or JSON lines;
- :mod:`appliance.observers.tensorboard`: the ``tensorboard`` observer that writes them on a bounded schedule;
- :mod:`.runs` and :mod:`.sweep`: ``--tensorboard DIR`` on ``simulate``, ``replay``, ``evaluate``; ``simulate --sweep``;
- :mod:`.live`: the notebook's live view of a running daemon or simulation (the API's event stream).
"""

from appliance.watch.signals import Signals
from appliance.watch.writers import open_writer
from appliance.watch.writers.base import RunWriter

__all__ = ["RunWriter", "Signals", "open_writer"]
