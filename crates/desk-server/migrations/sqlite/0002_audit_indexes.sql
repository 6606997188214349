-- Filters of the audit view: by action, and by time range.
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_at ON audit_log (at_ms);
