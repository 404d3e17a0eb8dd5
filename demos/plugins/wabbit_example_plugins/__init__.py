"""Example Raspberry Wabbit plug-ins, registered through entry points (see this folder's pyproject.toml):
the policy ``epsilon_linear`` and the observer ``jsonl``."""
