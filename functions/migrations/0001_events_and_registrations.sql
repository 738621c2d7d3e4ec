-- Conference registration: events and their registrations.
-- `registered` is kept in the same transaction as each insert/delete of a
-- registration (the event row is locked first), and the CHECK makes
-- overbooking impossible even if application code were wrong.
CREATE TABLE events (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  capacity integer NOT NULL CHECK (capacity BETWEEN 1 AND 100000),
  starts_at timestamptz NOT NULL,
  registered integer NOT NULL DEFAULT 0 CHECK (registered >= 0 AND registered <= capacity),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE registrations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  event_id uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
  email text NOT NULL CHECK (char_length(email) BETWEEN 3 AND 320),
  created_at timestamptz NOT NULL DEFAULT now()
);

-- One registration per email per event, case-insensitively.
CREATE UNIQUE INDEX registrations_event_email_key ON registrations (event_id, lower(email));
-- Listing an event's registrations in order.
CREATE INDEX registrations_event_created_idx ON registrations (event_id, created_at, id);
