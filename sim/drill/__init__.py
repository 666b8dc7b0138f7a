"""Double-blind drills: sealed packages, the live drill console and the after-action review.

Layer: above ``sim.run`` (it runs replications), below ``sim.cli`` (which dispatches
``experiment=drill``). ``python -m sim.drill open|serve|review`` are its own commands.
See docs/drills.md.
"""
