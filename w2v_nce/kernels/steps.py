"""The integer codes the kernels switch on: which model builds the hidden vectors and
which kind of output step scores them.

They live with the kernels, which import nothing from the rest of the package;
:mod:`w2v_nce.losses` re-exports them, and each loss record names its ``step``.
"""

# The models that build the hidden vectors (Spec.model).
SKIPGRAM = 0  # one hidden vector per context word: the context's input row
CBOW = 1  # one hidden vector per centre word: the mean of its context's input rows

# The kinds of output step (Spec.step; a loss record's step).
NOISE = 0  # binary logistic: the positive against k noise draws (neg, nce)
SAMPLED_SOFTMAX = 1  # a (k+1)-way softmax over the positive and k noise draws (infonce)
TREE = 2  # binary logistic along the target's Huffman path (hs)
FULL_SOFTMAX = 3  # the exact softmax over the vocabulary, batched through BLAS
TRIPLET = 4  # the triplet hinge of the positive against mined noise draws (triplet)
DRLIM = 5  # DrLIM's contrastive loss: pull the positive in, push the draws beyond a margin
