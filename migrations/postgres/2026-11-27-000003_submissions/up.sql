-- Teams, submissions with immutable revisions, attachments, invitations and
-- prize-share proposals.

-- Per-challenge attachment limits; NULL means the platform default.
ALTER TABLE challenges ADD COLUMN max_attachment_bytes BIGINT;
ALTER TABLE challenges ADD COLUMN max_submission_bytes BIGINT;
CREATE TABLE teams (
    id TEXT PRIMARY KEY NOT NULL,
    challenge_id TEXT NOT NULL REFERENCES challenges(id),
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX teams_challenge ON teams(challenge_id);

CREATE TABLE team_members (
    team_id TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    challenge_id TEXT NOT NULL REFERENCES challenges(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    role TEXT NOT NULL,
    share_bps INTEGER NOT NULL,
    joined_at TIMESTAMP NOT NULL,
    PRIMARY KEY (team_id, user_id),
    UNIQUE (challenge_id, user_id)
);
CREATE INDEX team_members_user ON team_members(user_id);

CREATE TABLE team_invitations (
    id TEXT PRIMARY KEY NOT NULL,
    team_id TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    invited_by TEXT NOT NULL REFERENCES users(id),
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    responded_at TIMESTAMP
);
CREATE INDEX team_invitations_team ON team_invitations(team_id);

CREATE TABLE share_proposals (
    id TEXT PRIMARY KEY NOT NULL,
    team_id TEXT NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
    shares TEXT NOT NULL,
    proposed_by TEXT NOT NULL REFERENCES users(id),
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX share_proposals_team ON share_proposals(team_id);

CREATE TABLE share_approvals (
    proposal_id TEXT NOT NULL REFERENCES share_proposals(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id),
    approved_at TIMESTAMP NOT NULL,
    PRIMARY KEY (proposal_id, user_id)
);

CREATE TABLE submissions (
    id TEXT PRIMARY KEY NOT NULL,
    challenge_id TEXT NOT NULL REFERENCES challenges(id),
    team_id TEXT NOT NULL REFERENCES teams(id),
    state TEXT NOT NULL,
    title TEXT NOT NULL,
    licence TEXT NOT NULL,
    current_revision INTEGER NOT NULL,
    disqualified_reason TEXT,
    publish_opt_in BOOLEAN NOT NULL,
    published_at TIMESTAMP,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX submissions_challenge ON submissions(challenge_id);
CREATE INDEX submissions_team ON submissions(team_id);
CREATE INDEX submissions_published ON submissions(published_at);

CREATE TABLE attachments (
    id TEXT PRIMARY KEY NOT NULL,
    submission_id TEXT NOT NULL REFERENCES submissions(id),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_by TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX attachments_submission ON attachments(submission_id);

CREATE TABLE revisions (
    id TEXT PRIMARY KEY NOT NULL,
    submission_id TEXT NOT NULL REFERENCES submissions(id),
    number INTEGER NOT NULL,
    title TEXT NOT NULL,
    abstract_text TEXT NOT NULL,
    body_md TEXT NOT NULL,
    licence TEXT NOT NULL,
    copyright_holders TEXT NOT NULL,
    attachment_ids TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (submission_id, number)
);
