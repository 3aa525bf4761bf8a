-- A cancelled challenge says when and why (issue 11): its public page shows
-- both, with where the escrow went. A table of its own: `challenges` is at
-- diesel's 32-column limit.
CREATE TABLE challenge_cancellations (
    challenge_id TEXT PRIMARY KEY NOT NULL REFERENCES challenges(id),
    reason TEXT NOT NULL,
    cancelled_at TIMESTAMP NOT NULL
);
