"""Benchmarks: measured on the real broker, each next to a raw aiokafka loop in the same run."""
