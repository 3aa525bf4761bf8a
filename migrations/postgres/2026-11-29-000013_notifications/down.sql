ALTER TABLE outbox DROP COLUMN user_id;
DROP TABLE notification_prefs;
ALTER TABLE users DROP COLUMN unread_notifications;
DROP INDEX notifications_user;
DROP TABLE notifications;
