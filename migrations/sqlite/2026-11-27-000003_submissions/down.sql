DROP TABLE revisions;
DROP TABLE attachments;
DROP TABLE submissions;
DROP TABLE share_approvals;
DROP TABLE share_proposals;
DROP TABLE team_invitations;
DROP TABLE team_members;
DROP TABLE teams;
