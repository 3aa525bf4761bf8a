-- Payouts and refunds: money leaving the platform. A payout is one payable
-- (an award's part for one team member); a refund gives an organisation
-- what its challenge's escrow held and no prize took. Either goes through the
-- payment provider (manual: a platform admin records the bank transfer).

CREATE TABLE payouts (
    id TEXT PRIMARY KEY NOT NULL,
    challenge_id TEXT NOT NULL REFERENCES challenges(id),
    award_id TEXT NOT NULL REFERENCES awards(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    -- pending, submitted, paid, failed
    status TEXT NOT NULL,
    provider TEXT NOT NULL,
    -- Stored before any provider call and sent with each: the same key
    -- never pays twice (`transfer:{award}:{member}`).
    idempotency_key TEXT NOT NULL UNIQUE,
    -- The provider's transfer id, or the bank reference an admin recorded.
    reference TEXT,
    failure TEXT,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP,
    entry_id TEXT REFERENCES journal_entries(id),
    created_at TIMESTAMP NOT NULL,
    submitted_at TIMESTAMP,
    paid_at TIMESTAMP,
    failed_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (award_id, user_id)
);
CREATE INDEX payouts_challenge ON payouts(challenge_id);
CREATE INDEX payouts_user ON payouts(user_id);
CREATE INDEX payouts_status ON payouts(status, next_attempt_at);

CREATE TABLE refunds (
    id TEXT PRIMARY KEY NOT NULL,
    -- A challenge's escrow is refunded once (results or cancellation).
    challenge_id TEXT NOT NULL UNIQUE REFERENCES challenges(id),
    org_id TEXT NOT NULL REFERENCES orgs(id),
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    -- unawarded, cancelled
    reason TEXT NOT NULL,
    -- pending, submitted, paid, failed
    status TEXT NOT NULL,
    provider TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    reference TEXT,
    failure TEXT,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP,
    entry_id TEXT REFERENCES journal_entries(id),
    created_at TIMESTAMP NOT NULL,
    submitted_at TIMESTAMP,
    paid_at TIMESTAMP,
    failed_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX refunds_status ON refunds(status, next_attempt_at);
