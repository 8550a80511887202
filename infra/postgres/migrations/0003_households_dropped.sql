-- A household whose alert was held for its size and then rejected by a confirming partner is
-- 'dropped': never placed (AllocationDecision.dropped, reason confirmation_rejected).
ALTER TABLE households DROP CONSTRAINT households_outcome_check;
ALTER TABLE households ADD CONSTRAINT households_outcome_check CHECK (outcome IN
    ('placed', 'waitlisted', 'in_transit', 'arrived', 'no_show', 'cancelled', 'dropped'));
