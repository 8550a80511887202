"""intake: the gate of partner-writable topics and the clock of the region log."""
