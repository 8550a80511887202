"""Registries of regions and partners, and the partners' authorisation rules."""
