"""optbench.explain"""
