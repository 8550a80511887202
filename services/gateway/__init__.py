"""The HTTP gateway: partners without a Kafka client POST CloudEvents or CAP XML."""
