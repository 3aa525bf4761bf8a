-- Teams decide who may withdraw their entry (everyone, or the creator
-- alone) and whether members who join later are named among the copyright
-- holders (issue 11). A member named that way is marked credited, so a
-- later choice to stay anonymous takes the name out again.
ALTER TABLE teams ADD COLUMN withdrawal TEXT NOT NULL DEFAULT 'team';
ALTER TABLE teams ADD COLUMN credit_joiners BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE team_members ADD COLUMN credited BOOLEAN NOT NULL DEFAULT FALSE;

-- Withdrawing a team's entry waits for every member's agreement.
CREATE TABLE withdrawal_votes (
    submission_id TEXT NOT NULL REFERENCES submissions (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    voted_at TIMESTAMP NOT NULL,
    PRIMARY KEY (submission_id, user_id)
);

-- An entry may build on a published solution: the source it names.
ALTER TABLE submissions ADD COLUMN builds_on TEXT REFERENCES submissions (id);
CREATE INDEX submissions_builds_on ON submissions (builds_on);
