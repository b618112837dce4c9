"""optbench.landscape"""
