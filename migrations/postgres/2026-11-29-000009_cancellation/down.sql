DROP TABLE challenge_cancellations;
