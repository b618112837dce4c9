"""optbench.executors"""
