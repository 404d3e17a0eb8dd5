"""The models one daemon serves, by name (see :mod:`appliance.models.base`)."""
