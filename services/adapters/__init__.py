"""Adapters: the formats partners already use (CAP, HXL, IOM DTM) → Corridor's ingress payloads.

Each adapter is pure: bytes and registries in, payloads and a report out. ``ingest`` signs and
publishes what they produce.
"""
