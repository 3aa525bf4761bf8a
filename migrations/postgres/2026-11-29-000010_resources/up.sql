-- Challenge resources (issue 11): files an organisation attaches to a
-- challenge (data sets, documents, images) and its cover image, stored like
-- submission attachments (bytes by SHA-256 in the attachment store).
CREATE TABLE challenge_resources (
    id TEXT PRIMARY KEY NOT NULL,
    challenge_id TEXT NOT NULL REFERENCES challenges(id),
    -- 'file' or 'cover'
    kind TEXT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    -- everyone may download it, or only registered solvers
    public BOOLEAN NOT NULL,
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    removed_at TIMESTAMP
);
CREATE INDEX challenge_resources_challenge ON challenge_resources(challenge_id, kind);
