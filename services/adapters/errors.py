"""The one error every adapter raises: a refused document, with where and why, never a trace."""


class AdapterError(ValueError):
    """A document an adapter refuses. ``where`` names the element, column or construct."""

    def __init__(self, where: str, rule: str) -> None:
        super().__init__(f"{where}: {rule}")
        self.where = where
        self.rule = rule
