"""fleetflow: GitOps for fleets of Docker hosts, on Prefect."""

__version__ = "0.1.0"
