-- In-app notifications (issue 12): what each notification email said, for
-- the notification centre; unread ones are counted on the account so the
-- header needs no query of its own.
CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    url TEXT,
    created_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP
);
CREATE INDEX notifications_user ON notifications (user_id, created_at);
ALTER TABLE users ADD COLUMN unread_notifications INTEGER NOT NULL DEFAULT 0;

-- What each person chose, per kind; no row means email and in-app both on.
CREATE TABLE notification_prefs (
    user_id TEXT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    email BOOLEAN NOT NULL,
    in_app BOOLEAN NOT NULL,
    PRIMARY KEY (user_id, kind)
);

-- The account an outgoing message is for, when it has one: the worker signs
-- its one-click unsubscribe link when it sends (no secret in the table).
ALTER TABLE outbox ADD COLUMN user_id TEXT;
