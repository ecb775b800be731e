"""The one exception type that means "the user did something we can explain".

The CLI catches :class:`UserError`, prints ``error: <message>`` on one line to
stderr and exits with ``exit_code`` -- never a traceback. Library code raises it
for anything a user can fix (bad path, bad option, malformed file, unknown word);
genuine bugs stay ordinary exceptions so they keep their traceback.
"""


class UserError(Exception):
    """A mistake the user can fix; ``str(err)`` is the one-line message."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


class UsageError(UserError):
    """Bad command-line usage (unknown word, invalid option value): exit code 2."""

    def __init__(self, message: str):
        super().__init__(message, exit_code=2)
