"""optbench.report"""
