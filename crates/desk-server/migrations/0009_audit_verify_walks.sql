-- A lead's walk over the audit chain in stretches: where it has got to, so that the stretch that
-- reaches the end knows whether the walk began at the first entry ("intact") or not ("partial").
CREATE TABLE audit_verify_walks (
    session_id  BIGINT  PRIMARY KEY,
    last_id     BIGINT  NOT NULL,
    updated_ms  BIGINT  NOT NULL
);
