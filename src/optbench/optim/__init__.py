"""optbench.optim"""
