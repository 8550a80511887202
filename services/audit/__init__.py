"""Audit tools over the topics: replays and inbox reads. Not part of any processor."""
