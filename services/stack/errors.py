"""What goes wrong when bringing up the stack, said in one line."""


class StackError(RuntimeError):
    """A failure the operator can act on; the CLI prints its message as one line."""
