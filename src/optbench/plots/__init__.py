"""optbench.plots"""
