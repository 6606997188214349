-- Single sign-on attempts: the service starts one (state and nonce, stored hashed), the console
-- brings back the provider's ID token once. Forward-only; PostgreSQL twin of
-- migrations/sqlite/0012_sso.sql (BIGINT integers, identity ids).
CREATE TABLE sso_attempts (
    id            BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    state_hash    TEXT    NOT NULL UNIQUE,
    nonce_hash    TEXT    NOT NULL,
    redirect_uri  TEXT    NOT NULL,
    client        TEXT    NOT NULL,
    created_ms    BIGINT  NOT NULL,
    expires_ms    BIGINT  NOT NULL,
    used_ms       BIGINT
);
CREATE INDEX sso_attempts_expires ON sso_attempts (expires_ms);
