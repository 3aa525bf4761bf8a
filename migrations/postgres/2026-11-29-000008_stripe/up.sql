-- Card funding and Connect payouts through Stripe: a funding request keeps
-- its Checkout Session and the charge it produced (transfers name it as
-- their source); solvers' connected accounts; the provider's events seen,
-- so each takes effect once.

ALTER TABLE fundings ADD COLUMN provider TEXT NOT NULL DEFAULT 'manual';
ALTER TABLE fundings ADD COLUMN checkout_session_id TEXT;
ALTER TABLE fundings ADD COLUMN checkout_url TEXT;
ALTER TABLE fundings ADD COLUMN payment_intent_id TEXT;
ALTER TABLE fundings ADD COLUMN charge_id TEXT;
CREATE UNIQUE INDEX fundings_checkout_session ON fundings(checkout_session_id);

CREATE TABLE payment_accounts (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users(id),
    provider TEXT NOT NULL,
    account_id TEXT NOT NULL UNIQUE,
    -- Whether the account can receive transfers now.
    payouts_enabled BOOLEAN NOT NULL,
    -- What the provider still needs from the person, comma-separated.
    requirements TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE provider_events (
    id TEXT PRIMARY KEY NOT NULL,
    provider TEXT NOT NULL,
    kind TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL
);
