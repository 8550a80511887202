"""The escalator's pure core: no Kafka, no clock, no I/O. Time and routing come in as arguments."""
