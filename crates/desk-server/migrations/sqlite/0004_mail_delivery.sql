-- Outbox delivery with retries: when a queued email is next due, and why the last attempt failed
-- (the SMTP error text only, never the body). Forward-only; portable to PostgreSQL.
ALTER TABLE outbox ADD COLUMN next_attempt_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN last_error TEXT;

-- The sender's query: queued rows that are due, oldest first.
CREATE INDEX outbox_due ON outbox (status, next_attempt_ms, id);
