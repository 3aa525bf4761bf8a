-- People follow organisations, categories and challenges (issue 12): a
-- challenge published by an organisation or in a category they follow is
-- announced to them; a followed challenge's announcements reach them.
CREATE TABLE follows (
    user_id TEXT NOT NULL REFERENCES users (id),
    target_type TEXT NOT NULL,
    target_id TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, target_type, target_id)
);
CREATE INDEX follows_target ON follows (target_type, target_id);

-- Each scheduled reminder, once per person, challenge, kind and deadline:
-- the primary key makes a second send impossible, whatever restarts.
CREATE TABLE reminders_sent (
    user_id TEXT NOT NULL REFERENCES users (id),
    challenge_id TEXT NOT NULL REFERENCES challenges (id),
    kind TEXT NOT NULL,
    deadline TIMESTAMP NOT NULL,
    sent_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, challenge_id, kind, deadline)
);
