DROP TABLE provider_events;
DROP TABLE payment_accounts;
DROP INDEX fundings_checkout_session;
ALTER TABLE fundings DROP COLUMN charge_id;
ALTER TABLE fundings DROP COLUMN payment_intent_id;
ALTER TABLE fundings DROP COLUMN checkout_url;
ALTER TABLE fundings DROP COLUMN checkout_session_id;
ALTER TABLE fundings DROP COLUMN provider;
