-- A registration belongs to the signed-in user who made it (the token's
-- subject): at most one per user per event, and listed per user in the order
-- made ("my registrations"). Rows made before sign-in existed keep NULL.
ALTER TABLE registrations ADD COLUMN user_sub text CHECK (user_sub IS NULL OR char_length(user_sub) BETWEEN 1 AND 128);
CREATE UNIQUE INDEX registrations_event_user_key ON registrations (event_id, user_sub);
CREATE INDEX registrations_user_created_idx ON registrations (user_sub, created_at, id);
