"""Bring your own district: ``python -m sim.district new NAME --network FILE`` (build.py)."""
