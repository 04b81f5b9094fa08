"""Analyses of a compiled design: calibration, complexity metrics, resource estimates, synthesis
reports, fidelity against the source model, and report.json."""
