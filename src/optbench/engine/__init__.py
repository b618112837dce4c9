"""optbench.engine"""
