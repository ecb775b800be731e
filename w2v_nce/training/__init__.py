"""A training run: ``pipeline`` (options, --init, resume, encoding, writing),
``trainer`` (the schedule, the threads, the progress bar) and ``checkpoint``.

Above the model and the I/O, below evaluation and the front ends.
"""
