-- A solver may show a public profile of their published solutions and
-- prizes (issue 11); off until they turn it on.
ALTER TABLE users ADD COLUMN public_profile BOOLEAN NOT NULL DEFAULT FALSE;
