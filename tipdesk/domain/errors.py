"""The one domain exception: a problem the clerk can act on, worded in Chinese."""

# Exit statuses from the contract (DESIGN.md, "Commands").
EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_USAGE = 2
EXIT_BUSY = 3


class TipdeskError(Exception):
    """A problem the clerk can fix; the message names the file, sheet or cell and what to do."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE):
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):
        # Keep the exit code when the error crosses a process boundary (parallel rendering).
        return (type(self), (self.message, self.exit_code))
