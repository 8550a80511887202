"""The operations centre: a read-only HTTP API over the ledger, a live event stream, the page."""
