-- Challenges, their rules, registrations, Q&A and announcements; the
-- double-entry ledger; manual funding requests; platform settings.
CREATE TABLE challenges (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES orgs(id),
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    description_md TEXT NOT NULL,
    category TEXT NOT NULL,
    tags TEXT NOT NULL,
    kind TEXT NOT NULL,
    currency TEXT NOT NULL,
    prize_total BIGINT NOT NULL,
    state TEXT NOT NULL,
    visibility TEXT NOT NULL,
    opens_at TIMESTAMP,
    submission_deadline TIMESTAMP NOT NULL,
    judging_deadline TIMESTAMP NOT NULL,
    eligibility TEXT NOT NULL,
    allowed_licences TEXT NOT NULL,
    max_submissions_per_solver INTEGER NOT NULL,
    max_team_size INTEGER NOT NULL,
    blind_judging BOOLEAN NOT NULL,
    rules_version INTEGER NOT NULL,
    review_state TEXT NOT NULL,
    review_comment TEXT,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    published_at TIMESTAMP
);
CREATE INDEX challenges_org ON challenges(org_id);
CREATE INDEX challenges_listing ON challenges(visibility, state, published_at);
CREATE INDEX challenges_deadline ON challenges(submission_deadline);

CREATE TABLE challenge_tags (
    challenge_id TEXT NOT NULL REFERENCES challenges(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (challenge_id, tag)
);
CREATE INDEX challenge_tags_tag ON challenge_tags(tag);

CREATE TABLE prize_tiers (
    id TEXT PRIMARY KEY NOT NULL,
    challenge_id TEXT NOT NULL REFERENCES challenges(id) ON DELETE CASCADE,
    rank INTEGER NOT NULL,
    label TEXT NOT NULL,
    amount BIGINT NOT NULL,
    UNIQUE (challenge_id, rank)
);

CREATE TABLE challenge_rules (
    id TEXT PRIMARY KEY NOT NULL,
    challenge_id TEXT NOT NULL REFERENCES challenges(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    body_md TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (challenge_id, version)
);

CREATE TABLE registrations (
    id TEXT PRIMARY KEY NOT NULL,
    challenge_id TEXT NOT NULL REFERENCES challenges(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id),
    rules_version INTEGER NOT NULL,
    accepted_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (challenge_id, user_id)
);
CREATE INDEX registrations_user ON registrations(user_id);

CREATE TABLE questions (
    id TEXT PRIMARY KEY NOT NULL,
    challenge_id TEXT NOT NULL REFERENCES challenges(id) ON DELETE CASCADE,
    asked_by TEXT NOT NULL REFERENCES users(id),
    body TEXT NOT NULL,
    is_public BOOLEAN NOT NULL,
    answer TEXT,
    answered_by TEXT REFERENCES users(id),
    answered_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX questions_challenge ON questions(challenge_id, created_at);

CREATE TABLE announcements (
    id TEXT PRIMARY KEY NOT NULL,
    challenge_id TEXT NOT NULL REFERENCES challenges(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    body_md TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX announcements_challenge ON announcements(challenge_id, created_at);

CREATE TABLE ledger_accounts (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (kind, owner_id, currency)
);

CREATE TABLE journal_entries (
    id TEXT PRIMARY KEY NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    challenge_id TEXT REFERENCES challenges(id),
    memo TEXT NOT NULL,
    created_by TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX journal_entries_challenge ON journal_entries(challenge_id);

CREATE TABLE journal_lines (
    id TEXT PRIMARY KEY NOT NULL,
    entry_id TEXT NOT NULL REFERENCES journal_entries(id),
    account_id TEXT NOT NULL REFERENCES ledger_accounts(id),
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL
);
CREATE INDEX journal_lines_account ON journal_lines(account_id);
CREATE INDEX journal_lines_entry ON journal_lines(entry_id);

CREATE TABLE fundings (
    id TEXT PRIMARY KEY NOT NULL,
    challenge_id TEXT NOT NULL REFERENCES challenges(id),
    amount BIGINT NOT NULL,
    fee BIGINT NOT NULL,
    currency TEXT NOT NULL,
    status TEXT NOT NULL,
    reference TEXT,
    requested_by TEXT NOT NULL REFERENCES users(id),
    requested_at TIMESTAMP NOT NULL,
    confirmed_by TEXT REFERENCES users(id),
    confirmed_at TIMESTAMP,
    entry_id TEXT REFERENCES journal_entries(id)
);
CREATE INDEX fundings_challenge ON fundings(challenge_id);
CREATE INDEX fundings_status ON fundings(status, requested_at);

CREATE TABLE platform_settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Full-text search (SQLite FTS5). Backend-specific: named search_* so the
-- schema parity test leaves it out.
CREATE VIRTUAL TABLE search_challenges USING fts5(challenge_id UNINDEXED, title, summary, body, tokenize = 'unicode61 remove_diacritics 2');
