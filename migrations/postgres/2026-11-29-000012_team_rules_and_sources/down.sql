DROP INDEX submissions_builds_on;
ALTER TABLE submissions DROP COLUMN builds_on;
DROP TABLE withdrawal_votes;
ALTER TABLE team_members DROP COLUMN credited;
ALTER TABLE teams DROP COLUMN credit_joiners;
ALTER TABLE teams DROP COLUMN withdrawal;
