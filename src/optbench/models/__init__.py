"""optbench.models"""
