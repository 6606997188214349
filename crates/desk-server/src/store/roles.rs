//! The database roles of a PostgreSQL deployment. The tables belong to an owner role, which runs
//! the migrations (`desk-server migrate --db OWNER_URL --grant-to SERVICE_ROLE`); the service runs
//! as another role that may read and write the tables it works with, and on `audit_log` only
//! insert and select. The log's triggers then refuse updates and deletes even from the owner, and
//! the service's role cannot drop them (only an owner may alter a table).

use anyhow::Context;

use super::{Backend, Db};

/// Gives `role` what the service needs and no more; run by the tables' owner after migrating.
/// Granting again is harmless, so every deployment may run it after each migration.
pub async fn grant_service_role(db: &Db, role: &str) -> anyhow::Result<()> {
    anyhow::ensure!(db.backend() == Backend::Postgres, "database roles are a PostgreSQL setting");
    anyhow::ensure!(
        !role.is_empty()
            && role.len() <= 63
            && role.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
        "a role name is 1 to 63 lower-case letters, digits and _"
    );
    let schema: String = sqlx::query_scalar("SELECT current_schema()::text")
        .fetch_one(db.pool())
        .await
        .context("reading the current schema")?;
    let (schema, role) = (quote(&schema), quote(role));
    for statement in [
        format!("GRANT USAGE ON SCHEMA {schema} TO {role}"),
        format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}"),
        // Demo data gives accounts their ids and then moves the identity on (setval).
        format!("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {schema} TO {role}"),
        format!("REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {schema}.audit_log FROM {role}"),
        // The service reads which migrations were applied; only the owner applies them.
        format!("REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {schema}._sqlx_migrations FROM {role}"),
    ] {
        sqlx::query(&statement).execute(db.pool()).await.with_context(|| format!("granting: {statement}"))?;
    }
    Ok(())
}

fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}
