from pathlib import Path

TEST_SECRETS = Path(__file__).parent / "fixtures" / "partner-secrets.yaml"
"""Fake signing secrets of the registry's demo partners: tests only (tests/conftest.py)."""
