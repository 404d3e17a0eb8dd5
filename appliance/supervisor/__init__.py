"""The daemon's states and their changes: :class:`Supervisor` applies a config change as a pure :class:`Plan`."""

from appliance.supervisor.config_file import backup_path, replace_config_file
from appliance.supervisor.plan import Plan, plan_change
from appliance.supervisor.supervisor import Supervisor

__all__ = ["Plan", "Supervisor", "backup_path", "plan_change", "replace_config_file"]
