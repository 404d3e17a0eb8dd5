"""The fleet: appliances ship decisions and rewards, a central side joins them (SQLite or Spark), learns and publishes."""
