"""The allocator: which displaced household goes to which shelter, on which vehicle.

``domain/`` holds the rules (pure), ``placement/`` the optimiser they call, ``store.py`` the
changelog table and ``agents.py`` the loop; see docs/architecture.md, "Allocator".
"""
