"""Numba-jitted training kernels.

``rng``         SplitMix64 random numbers (one state per block, passed by value)
``alias``       Walker's alias method: O(1) noise draws
``vecops``      the blocked float32 loops of the candidate block, a vectorisable exp,
                prefetch and untracked (reference-count-free) array views
``steps``       the integer codes of the models and of the kinds of output step
``bundles``     the named tuples the kernels take: Weights, Tables, Spec, Schedule
``pairs``       subsampling and the dynamic window; a block's examples for the softmax
``binary``      the logistic step shared by negative sampling, NCE and hierarchical softmax
``rowsoftmax``  InfoNCE's row-softmax step
``tree``        word2vec.c's Huffman tree for hierarchical softmax
``block``       the per-block loop: the model's hidden vectors, the loss's candidate block,
                noise drawn ahead from its own stream
``softmax``     the full softmax, batched into sgemms, threaded over vocabulary tiles
``counts``      weighted window co-occurrence counts (evaluation, nce-table)
"""
