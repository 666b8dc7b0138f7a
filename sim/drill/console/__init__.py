"""The live drill console: drill clock (SimPy real time), SQLite records, web views."""
