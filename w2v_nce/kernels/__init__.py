"""Numba-jitted training kernels.

``rng``      counter-based random numbers (one state per block, passed by value)
``vecops``   the float32 dot/axpy loops every loss uses
``binary``   the logistic step shared by negative sampling and NCE, and the
             skip-gram block kernel built on it
"""
