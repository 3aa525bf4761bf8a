-- Judging: the panel of a challenge, rounds with their rubric and entries,
-- conflicts of interest, assignments, scorecards, and published results
-- with their awards.

CREATE TABLE judges (
    id TEXT PRIMARY KEY NOT NULL,
    challenge_id TEXT NOT NULL REFERENCES challenges(id),
    email TEXT NOT NULL,
    -- Set when the invitation is accepted.
    user_id TEXT REFERENCES users(id),
    -- invited, active, declined, removed
    status TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    invited_by TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    responded_at TIMESTAMP,
    removed_at TIMESTAMP
);
CREATE INDEX judges_challenge ON judges(challenge_id);
CREATE INDEX judges_user ON judges(user_id);
CREATE INDEX judges_email ON judges(email, created_at);

CREATE TABLE rounds (
    id TEXT PRIMARY KEY NOT NULL,
    challenge_id TEXT NOT NULL REFERENCES challenges(id),
    number INTEGER NOT NULL,
    name TEXT NOT NULL,
    -- draft, open, closed
    state TEXT NOT NULL,
    judges_per_entry INTEGER NOT NULL,
    normalise BOOLEAN NOT NULL,
    -- How many entries this round sends to the next one (none for the last).
    shortlist INTEGER,
    assignment_seed BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    opened_at TIMESTAMP,
    closed_at TIMESTAMP,
    UNIQUE (challenge_id, number)
);

-- The part of the panel that judges a round.
CREATE TABLE round_judges (
    round_id TEXT NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
    judge_id TEXT NOT NULL REFERENCES judges(id),
    PRIMARY KEY (round_id, judge_id)
);

CREATE TABLE criteria (
    id TEXT PRIMARY KEY NOT NULL,
    round_id TEXT NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    weight DOUBLE PRECISION NOT NULL,
    scale_min INTEGER NOT NULL,
    scale_max INTEGER NOT NULL,
    comment_required BOOLEAN NOT NULL
);
CREATE INDEX criteria_round ON criteria(round_id, position);

-- The entries a round judges, fixed when it opens: the revision in force at
-- the deadline, and the neutral code blind judges see.
CREATE TABLE round_entries (
    round_id TEXT NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
    submission_id TEXT NOT NULL REFERENCES submissions(id),
    revision INTEGER NOT NULL,
    revised_at TIMESTAMP NOT NULL,
    code TEXT NOT NULL,
    PRIMARY KEY (round_id, submission_id)
);

CREATE TABLE conflicts (
    judge_id TEXT NOT NULL REFERENCES judges(id),
    submission_id TEXT NOT NULL REFERENCES submissions(id),
    reason TEXT NOT NULL,
    -- Found by Tribu (team or organisation membership) rather than declared.
    automatic BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (judge_id, submission_id)
);

CREATE TABLE assignments (
    id TEXT PRIMARY KEY NOT NULL,
    round_id TEXT NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
    judge_id TEXT NOT NULL REFERENCES judges(id),
    submission_id TEXT NOT NULL REFERENCES submissions(id),
    -- Added or moved by the organisation rather than by the algorithm.
    manual BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (round_id, judge_id, submission_id)
);
CREATE INDEX assignments_judge ON assignments(judge_id);
CREATE INDEX assignments_round ON assignments(round_id, submission_id);

CREATE TABLE scorecards (
    id TEXT PRIMARY KEY NOT NULL,
    assignment_id TEXT NOT NULL UNIQUE REFERENCES assignments(id) ON DELETE CASCADE,
    round_id TEXT NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
    judge_id TEXT NOT NULL REFERENCES judges(id),
    submission_id TEXT NOT NULL REFERENCES submissions(id),
    -- draft, submitted
    state TEXT NOT NULL,
    -- The weighted score, 0–100, once every criterion is scored.
    total DOUBLE PRECISION,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    submitted_at TIMESTAMP
);
CREATE INDEX scorecards_round ON scorecards(round_id, state);

CREATE TABLE scores (
    scorecard_id TEXT NOT NULL REFERENCES scorecards(id) ON DELETE CASCADE,
    criterion_id TEXT NOT NULL REFERENCES criteria(id) ON DELETE CASCADE,
    score INTEGER NOT NULL,
    comment TEXT NOT NULL,
    PRIMARY KEY (scorecard_id, criterion_id)
);

CREATE TABLE results (
    challenge_id TEXT PRIMARY KEY NOT NULL REFERENCES challenges(id),
    round_id TEXT NOT NULL REFERENCES rounds(id),
    show_scores BOOLEAN NOT NULL,
    alpha DOUBLE PRECISION,
    -- The final standings and prizes as published (JSON).
    standings TEXT NOT NULL,
    published_by TEXT NOT NULL REFERENCES users(id),
    published_at TIMESTAMP NOT NULL
);

CREATE TABLE awards (
    id TEXT PRIMARY KEY NOT NULL,
    challenge_id TEXT NOT NULL REFERENCES challenges(id),
    submission_id TEXT NOT NULL REFERENCES submissions(id),
    tier_rank INTEGER NOT NULL,
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    entry_id TEXT NOT NULL REFERENCES journal_entries(id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (challenge_id, submission_id)
);

-- A team member may keep their name off public results.
ALTER TABLE team_members ADD COLUMN anonymous BOOLEAN NOT NULL DEFAULT FALSE;
