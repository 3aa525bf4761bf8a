DROP TABLE challenge_resources;
