"""The command line: a thin front end on the run, the model and the evaluation.

``main`` holds the click group and the training and query commands; ``evaluate``,
``plot`` and ``text`` the others; ``options`` the click options built from the one
table of options (:mod:`w2v_nce.params`) and the helpers the commands share.
"""
