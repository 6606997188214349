-- Staff onboarding without demo data: enrolment state, single-use enrolment links (stored hashed),
-- staff backup codes (hashed), authenticator resets that a second admin approves, and settings.
-- Forward-only. PostgreSQL twin of migrations/sqlite/0010_staff.sql (BIGINT integers, identity ids).

-- NULL until the staff member confirmed an authenticator. Agents from before this migration
-- (the demo's) count as enrolled when they were created.
ALTER TABLE agents ADD COLUMN enrolled_ms BIGINT;
UPDATE agents SET enrolled_ms = created_ms;

-- An invite, or the link an approved authenticator reset sends. `password_hash` holds the chosen
-- password (argon2id) until the authenticator is confirmed, so a half-finished enrolment cannot
-- sign in.
CREATE TABLE staff_enrolments (
    id             BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agent_id       BIGINT  NOT NULL REFERENCES agents (id),
    purpose        TEXT    NOT NULL CHECK (purpose IN ('invite', 'authenticator_reset')),
    token_hash     TEXT    NOT NULL UNIQUE,
    created_by     BIGINT  REFERENCES agents (id),
    created_ms     BIGINT  NOT NULL,
    expires_ms     BIGINT  NOT NULL,
    password_hash  TEXT,
    password_ms    BIGINT,
    used_ms        BIGINT,
    superseded_ms  BIGINT,
    failed_codes   BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX staff_enrolments_agent ON staff_enrolments (agent_id, id);

CREATE TABLE staff_backup_codes (
    id          BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agent_id    BIGINT  NOT NULL REFERENCES agents (id),
    code_hash   TEXT    NOT NULL,
    created_ms  BIGINT  NOT NULL,
    used_ms     BIGINT
);
CREATE INDEX staff_backup_codes_agent ON staff_backup_codes (agent_id, code_hash);

-- Maker-checker: one admin asks, a different admin (not the one being reset) approves.
CREATE TABLE staff_mfa_resets (
    id            BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agent_id      BIGINT  NOT NULL REFERENCES agents (id),
    requested_by  BIGINT  NOT NULL REFERENCES agents (id),
    reason        TEXT    NOT NULL,
    ticket        TEXT    NOT NULL,
    requested_ms  BIGINT  NOT NULL,
    approved_by   BIGINT  REFERENCES agents (id),
    approved_ms   BIGINT
);
-- At most one reset waits per staff member, decided by the store rather than a read first.
CREATE UNIQUE INDEX staff_mfa_resets_open ON staff_mfa_resets (agent_id) WHERE approved_ms IS NULL;

-- Service-wide switches admins set at run time (e.g. `sso_required`).
CREATE TABLE settings (
    key         TEXT    PRIMARY KEY,
    value       TEXT    NOT NULL,
    updated_ms  BIGINT  NOT NULL,
    updated_by  BIGINT  REFERENCES agents (id)
);
