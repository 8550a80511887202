"""Fixtures of the end-to-end tests."""

from tests.e2e.own_stack import stack_env

__all__ = ["stack_env"]  # a stack of the test's own (own_stack.py), found by pytest here
