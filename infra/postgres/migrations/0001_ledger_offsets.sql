-- Consumer offsets stored beside the rows they produced, in the same transaction:
-- the ledger's exactly-once-by-offset guarantee (DESIGN.md §4).
CREATE TABLE IF NOT EXISTS consumer_offsets (
    consumer_group text    NOT NULL,
    topic          text    NOT NULL,
    partition      integer NOT NULL CHECK (partition >= 0),
    next_offset    bigint  NOT NULL CHECK (next_offset >= 0),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, topic, partition)
);
