-- Limits that hold under concurrency and across instances: one counter row per (scope, key),
-- taken with a single conditional upsert. Refusals of unauthenticated requests are summarised per
-- window in `audit_rollups` instead of one audit entry each. Forward-only; portable to PostgreSQL.

CREATE TABLE rate_buckets (
    scope            TEXT    NOT NULL,
    key              TEXT    NOT NULL,
    window_start_ms  BIGINT  NOT NULL,
    count            BIGINT  NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX rate_buckets_window ON rate_buckets (window_start_ms);

CREATE TABLE audit_rollups (
    action           TEXT    NOT NULL,
    key              TEXT    NOT NULL,
    window_start_ms  BIGINT  NOT NULL,
    window_end_ms    BIGINT  NOT NULL,
    count            BIGINT  NOT NULL,
    target_type      TEXT,
    target_id        TEXT,
    client           TEXT    NOT NULL,
    flushed_ms       BIGINT,
    PRIMARY KEY (action, key, window_start_ms)
);
CREATE INDEX audit_rollups_due ON audit_rollups (flushed_ms, window_end_ms);

-- SMS codes: how many a link sent; a newer code cancels the older ones.
ALTER TABLE recovery_tokens ADD COLUMN sms_sends INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sms_codes ADD COLUMN superseded_ms BIGINT;

-- An authenticator code on a reset link works once per account: the last 30-second step used.
ALTER TABLE two_factor_methods ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
