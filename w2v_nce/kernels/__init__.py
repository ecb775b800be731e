"""Numba-jitted training kernels.

``rng``         SplitMix64 random numbers (one state per block, passed by value)
``vecops``      the float32 dot/axpy loops every loss uses
``pairs``       subsampling and the dynamic window: sentences to (context, centre) pairs
``binary``      the logistic step shared by negative sampling and NCE
``rowsoftmax``  the row-softmax step shared by the full softmax and InfoNCE
``block``       the per-block loop for the pair-by-pair losses (neg, nce, infonce)
``softmax``     the full softmax, batched into sgemms
"""
