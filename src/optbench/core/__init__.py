"""Core: specs, records, errors, the registry. Imports nothing else from optbench."""
