DROP INDEX org_invitations_email;
DROP INDEX attachments_uploader;
DROP INDEX email_tokens_user_purpose;
DROP INDEX team_invitations_email;
ALTER TABLE team_invitations DROP COLUMN expires_at;
ALTER TABLE challenges DROP COLUMN pending_changes;
ALTER TABLE submissions DROP COLUMN submitted_at;
