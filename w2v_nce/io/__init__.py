"""Files in and out: the streaming corpus reader, the encoder (first pass and id file),
the word2vec formats, the loss log, atomic writes and the clean-up after killed runs.

Below the model and the run: it imports only the tables (errors, vocabulary) and the
kernels (the compiled tokenizer).
"""
