"""optbench.data"""
