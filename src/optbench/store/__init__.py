"""optbench.store"""
