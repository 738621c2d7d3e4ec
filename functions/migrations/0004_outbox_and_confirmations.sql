-- Asynchronous confirmations.
--
-- The transactional outbox: a registration and its `registration.created`
-- message are committed in one transaction, so a committed registration
-- always has its message. The registering function publishes it to SNS right
-- after the commit and marks it published; the `outbox-sweep` task publishes
-- whatever is left (the function died or SNS failed in between). A message
-- can be published twice (published, then the mark lost): the consumer is
-- idempotent.
CREATE TABLE outbox (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Logical topic name of functions/messaging.ts, e.g. 'registrations'.
  topic text NOT NULL CHECK (char_length(topic) BETWEEN 1 AND 256),
  type text NOT NULL CHECK (char_length(type) BETWEEN 1 AND 100),
  payload jsonb NOT NULL,
  created_at timestamptz(3) NOT NULL DEFAULT now(),
  published_at timestamptz(3),
  attempts integer NOT NULL DEFAULT 0
);
-- What the sweeper looks for: unpublished messages, oldest first.
CREATE INDEX outbox_unpublished_idx ON outbox (created_at) WHERE published_at IS NULL;

-- One confirmation per registration: the primary key makes a second delivery
-- of the same message harmless, and the foreign key deletes the confirmation
-- with its registration (cancelling withdraws it; a confirmation that arrives
-- after the cancel finds no registration and is dropped).
CREATE TABLE confirmations (
  registration_id uuid PRIMARY KEY REFERENCES registrations (id) ON DELETE CASCADE,
  code text NOT NULL UNIQUE CHECK (code ~ '^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$'),
  -- The rendered badge (SVG, every text escaped), shown by GET /me/registrations/{id}.
  badge_svg text NOT NULL CHECK (char_length(badge_svg) <= 16384),
  -- The outbox message that issued it.
  message_id uuid NOT NULL,
  issued_at timestamptz(3) NOT NULL DEFAULT now()
);

-- Registrations made before this migration get their confirmation too.
INSERT INTO outbox (topic, type, payload)
SELECT 'registrations', 'registration.created', jsonb_build_object('registrationId', id, 'eventId', event_id)
  FROM registrations;
