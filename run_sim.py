"""Run a district emergency-plan simulation (Hydra app).

python run_sim.py                                  # default district and scenario
python run_sim.py district=fengdu experiment.replications=20
python run_sim.py -m district=bishan,fengdu        # multirun
"""

from sim.cli import main

if __name__ == "__main__":
    main()
