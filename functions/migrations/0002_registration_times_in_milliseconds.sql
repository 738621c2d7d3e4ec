-- Registration times are kept at the millisecond precision the API shows
-- (ISO-8601 with 3 fraction digits), so that a list cursor made of
-- (created_at, id) resumes exactly where a page ended: with microseconds
-- stored, rows of the same millisecond would be returned twice or skipped.
ALTER TABLE registrations ALTER COLUMN created_at TYPE timestamptz(3);
