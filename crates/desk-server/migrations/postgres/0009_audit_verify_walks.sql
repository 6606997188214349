-- PostgreSQL baseline of migrations/sqlite/0009_audit_verify_walks.sql.
CREATE TABLE audit_verify_walks (
    session_id  BIGINT  PRIMARY KEY,
    last_id     BIGINT  NOT NULL,
    updated_ms  BIGINT  NOT NULL
);
