"""Scaling analysis of the engine's measurements: sweep, fit, plots and report.

Each module holds one concept: ``sweep`` runs the engine over grids of depths
and strides and keeps a tidy table; ``table`` reads and checks such a table;
``asv_results`` reads what the asv suites recorded; ``fit`` turns a table into
claims with verdicts; ``plots`` draws it; ``report`` writes REPORT.md and
REPORT.html; ``atomic`` writes files without ever leaving a partial one;
``cli`` gives the scripts one way to fail.
"""
