-- PostgreSQL baseline of migrations/sqlite/0004_mail_delivery.sql.
ALTER TABLE outbox ADD COLUMN next_attempt_ms BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN last_error TEXT;

CREATE INDEX outbox_due ON outbox (status, next_attempt_ms, id);
