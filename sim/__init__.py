"""Response engine: network, world, response processes, metrics, experiments, reports."""
