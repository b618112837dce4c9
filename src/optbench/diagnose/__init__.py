"""optbench.diagnose"""
