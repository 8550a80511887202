"""Corridor's processes: the stream processors, the CLI and the local stack."""
