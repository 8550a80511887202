-- The ledger: every canonical event, decision, escalation and rejection on record, plus the
-- current state an operations centre queries (households' outcomes, shelters, vehicles,
-- escalations). Written by services/ledger in one transaction per batch together with
-- consumer_offsets (0001): exactly-once by offset. Kafka coordinates: kafka_partition and
-- kafka_offset of the message the row came from. No personal data: groups are counts and
-- need flags; rejections never keep the refused bytes.

-- Every event of region.events.v1 (inputs stamped by intake, and ticks).
CREATE TABLE region_events (
    event_id        text        PRIMARY KEY,
    region_pcode    text        NOT NULL,
    type            text        NOT NULL,
    source          text        NOT NULL,
    partner_id      text,
    sequenced_at    timestamptz NOT NULL,
    payload         jsonb       NOT NULL,
    kafka_partition integer     NOT NULL,
    kafka_offset    bigint      NOT NULL
);
CREATE INDEX region_events_region_time ON region_events (region_pcode, sequenced_at, event_id);
CREATE INDEX region_events_type_time ON region_events (type, sequenced_at, event_id);

-- One row per DisplacementAlert; alert_id is the alert's event id.
CREATE TABLE alerts (
    alert_id     text        PRIMARY KEY,
    region_pcode text        NOT NULL,
    partner_id   text,
    origin_lat   double precision NOT NULL,
    origin_lon   double precision NOT NULL,
    households   integer     NOT NULL CHECK (households >= 1),
    persons      integer     NOT NULL CHECK (persons >= 1),
    children     integer     NOT NULL,
    adults       integer     NOT NULL,
    elderly      integer     NOT NULL,
    female       integer     NOT NULL,
    male         integer     NOT NULL,
    cause        text        NOT NULL,
    observed_at  timestamptz NOT NULL,
    sequenced_at timestamptz NOT NULL
);
CREATE INDEX alerts_region_time ON alerts (region_pcode, sequenced_at, alert_id);

-- One row per household of an alert. outcome is NULL until a decision names the household,
-- then follows decisions and AllocationFeedback by region-log time (updated_at; on equal
-- times a decision wins over feedback: rank 2 > 1; the alert itself has rank 0).
CREATE TABLE households (
    alert_id          text     NOT NULL,
    household_index   integer  NOT NULL CHECK (household_index >= 0),
    region_pcode      text     NOT NULL,
    persons           integer  CHECK (persons >= 1),  -- NULL when feedback came first
    needs             text[]   NOT NULL DEFAULT '{}',
    outcome           text     CHECK (outcome IN
                          ('placed', 'waitlisted', 'in_transit', 'arrived', 'no_show', 'cancelled')),
    waitlist_reason   text,
    shelter_id        text,
    vehicle_id        text,
    transport_pending boolean,
    decision_id       text,
    updated_at        timestamptz NOT NULL,
    updated_rank      smallint NOT NULL DEFAULT 0,
    PRIMARY KEY (alert_id, household_index)
);
CREATE INDEX households_region_outcome ON households (region_pcode, outcome);
CREATE INDEX households_shelter ON households (shelter_id) WHERE shelter_id IS NOT NULL;

-- A shelter's last capacity report (by region-log time) and its open reservations: persons of
-- households placed or in transit to it, recomputed whenever they change.
CREATE TABLE shelters (
    shelter_id     text        PRIMARY KEY,
    region_pcode   text        NOT NULL,
    name           text,
    lat            double precision NOT NULL,
    lon            double precision NOT NULL,
    capacity_kind  text        NOT NULL,  -- persons | floor_area | unknown
    capacity       integer,               -- persons; NULL when unknown
    occupancy      integer     NOT NULL,
    services       text[]      NOT NULL DEFAULT '{}',
    open           boolean     NOT NULL,
    reported_at    timestamptz NOT NULL,
    sequenced_at   timestamptz NOT NULL,
    operator_partner_id text,
    reserved       integer     NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    event_id       text        NOT NULL
);
CREATE INDEX shelters_region ON shelters (region_pcode, shelter_id);

-- A vehicle's last availability report (by region-log time).
CREATE TABLE vehicles (
    vehicle_id        text        PRIMARY KEY,
    region_pcode      text        NOT NULL,
    kind              text        NOT NULL,
    seats             integer     NOT NULL,
    accessible_places integer     NOT NULL,
    available         boolean     NOT NULL,
    lat               double precision NOT NULL,
    lon               double precision NOT NULL,
    speed_kmh         double precision NOT NULL,
    reported_at       timestamptz NOT NULL,
    sequenced_at      timestamptz NOT NULL,
    operator_partner_id text,
    event_id          text        NOT NULL
);
CREATE INDEX vehicles_region ON vehicles (region_pcode, vehicle_id);

-- Every AllocationDecision.
CREATE TABLE decisions (
    decision_id           text        PRIMARY KEY,
    region_pcode          text        NOT NULL,
    decided_at            timestamptz NOT NULL,
    cause_event_id        text        NOT NULL,
    alert_id              text,
    placed_households     integer     NOT NULL,
    placed_persons        integer     NOT NULL,
    waitlisted_households integer     NOT NULL,
    waitlisted_persons    integer     NOT NULL,
    payload               jsonb       NOT NULL,
    event_id              text        NOT NULL,
    kafka_partition       integer     NOT NULL,
    kafka_offset          bigint      NOT NULL
);
CREATE INDEX decisions_region_time ON decisions (region_pcode, decided_at, decision_id);
CREATE INDEX decisions_time ON decisions (decided_at, decision_id);
CREATE INDEX decisions_alert ON decisions (alert_id) WHERE alert_id IS NOT NULL;

-- Every EscalationEvent message. With a revision number (if the contract carries one) a
-- revision is unique by it; without, by (updated_at, level, status).
CREATE TABLE escalation_revisions (
    escalation_id       text        NOT NULL,
    revision            integer,
    region_pcode        text        NOT NULL,
    reason              text        NOT NULL,
    sector              text        NOT NULL,
    level               text        NOT NULL,
    status              text        NOT NULL,
    episode             integer     NOT NULL,
    persons_affected    integer     NOT NULL,
    households_affected integer     NOT NULL,
    opened_at           timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    ack_deadline        timestamptz,
    payload             jsonb       NOT NULL,
    event_id            text        NOT NULL,
    kafka_partition     integer     NOT NULL,
    kafka_offset        bigint      NOT NULL
);
CREATE UNIQUE INDEX escalation_revisions_by_number
    ON escalation_revisions (escalation_id, revision) WHERE revision IS NOT NULL;
CREATE UNIQUE INDEX escalation_revisions_by_change
    ON escalation_revisions (escalation_id, updated_at, level, status) WHERE revision IS NULL;
CREATE INDEX escalation_revisions_region_time
    ON escalation_revisions (region_pcode, updated_at, escalation_id);

-- The latest revision of each escalation (by revision, else updated_at).
CREATE TABLE escalations (
    escalation_id       text        PRIMARY KEY,
    revision            integer,
    region_pcode        text        NOT NULL,
    reason              text        NOT NULL,
    sector              text        NOT NULL,
    level               text        NOT NULL CHECK (level IN ('L1', 'L2', 'L3')),
    status              text        NOT NULL,
    episode             integer     NOT NULL,
    persons_affected    integer     NOT NULL,
    households_affected integer     NOT NULL,
    needs_counts        jsonb       NOT NULL DEFAULT '{}',
    opened_at           timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    ack_deadline        timestamptz
);
CREATE INDEX escalations_region_status ON escalations (region_pcode, status, level);
CREATE INDEX escalations_time ON escalations (updated_at, escalation_id);

-- EscalationAck events of region.events.v1.
CREATE TABLE escalation_acks (
    event_id        text        PRIMARY KEY,
    escalation_id   text        NOT NULL,
    region_pcode    text        NOT NULL,
    partner_id      text,
    status          text        NOT NULL,
    acknowledged_at timestamptz NOT NULL,
    sequenced_at    timestamptz NOT NULL
);
CREATE INDEX escalation_acks_escalation ON escalation_acks (escalation_id, sequenced_at);

-- Messages intake refused (ingress.rejected.v1), without their bytes: rejection_id is the
-- refused record's '<topic>/<partition>/<offset>'.
CREATE TABLE rejections (
    rejection_id    text        PRIMARY KEY,
    topic           text        NOT NULL,
    partition       integer     NOT NULL,
    record_offset   bigint      NOT NULL,
    reason          text        NOT NULL,
    message         text        NOT NULL,
    event_id        text,
    partner_id      text,
    rejected_at     timestamptz NOT NULL,
    kafka_partition integer     NOT NULL,
    kafka_offset    bigint      NOT NULL
);
CREATE INDEX rejections_time ON rejections (rejected_at, rejection_id);
CREATE INDEX rejections_reason_time ON rejections (reason, rejected_at, rejection_id);

-- Messages the ledger could not read: recorded, then skipped.
CREATE TABLE ledger_unreadable (
    topic           text        NOT NULL,
    kafka_partition integer     NOT NULL,
    kafka_offset    bigint      NOT NULL,
    reason          text        NOT NULL,
    message         text        NOT NULL,
    PRIMARY KEY (topic, kafka_partition, kafka_offset)
);
