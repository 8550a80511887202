"""Exports from the ledger for partners' tools (HXL)."""
