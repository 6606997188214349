-- PostgreSQL baseline of migrations/sqlite/0002_audit_indexes.sql.
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_at ON audit_log (at_ms);
