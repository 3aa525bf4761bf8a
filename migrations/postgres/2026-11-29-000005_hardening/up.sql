-- Security hardening (issue 7).

-- When an entry was first entered: organisers and judges see entries from
-- then on, never a draft that was not entered.
ALTER TABLE submissions ADD COLUMN submitted_at TIMESTAMP;
UPDATE submissions SET submitted_at = created_at WHERE state <> 'draft';

-- Text changes to an open challenge waiting for a platform admin's review
-- (JSON), when the platform reviews challenges.
ALTER TABLE challenges ADD COLUMN pending_changes TEXT;

-- Team invitations expire like organisation invitations.
ALTER TABLE team_invitations ADD COLUMN expires_at TIMESTAMP;
UPDATE team_invitations SET expires_at = created_at + INTERVAL '14 days';
CREATE INDEX team_invitations_email ON team_invitations(email, created_at);

-- Rate limits per address count recent email tokens and uploads.
CREATE INDEX email_tokens_user_purpose ON email_tokens(user_id, purpose, created_at);
CREATE INDEX attachments_uploader ON attachments(uploaded_by, created_at);
CREATE INDEX org_invitations_email ON org_invitations(email, created_at);
