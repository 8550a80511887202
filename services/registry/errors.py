"""The one error the registries raise when their files cannot be trusted."""


class RegistryError(ValueError):
    """A registry file (or a partner's secret) is missing, malformed or inconsistent."""
