"""Corridor's contracts: payload models, the CloudEvents envelope, the codec and the catalogue.

Every message on every topic is built and read through this package; nothing else hand-writes
JSON for a message.
"""
