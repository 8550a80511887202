"""The local stack: a real Kafka broker and a real PostgreSQL server, run in the background."""
