DROP TABLE reminders_sent;
DROP INDEX follows_target;
DROP TABLE follows;
