//! Reading the log: filtered pages (newest first, keyset) and streamed exports.

use bytes::Bytes;
use desk_api::{AuditEntry, AuditFilter, ExportFormat, Page};

use crate::clock::from_ms;
use crate::domain::DomainResult;
use crate::store::audit::EntryRow;
use crate::store::{self, Db, StoreResult};

pub const PAGE_MAX: i64 = 500;
const EXPORT_BATCH: i64 = 1_000;

fn entry(r: EntryRow) -> AuditEntry {
    AuditEntry {
        id: r.id,
        at: from_ms(r.at_ms),
        actor_id: r.actor_id,
        actor_email: r.actor_email,
        actor_role: r.actor_role,
        action: r.action,
        target_type: r.target_type,
        target_id: r.target_id,
        target_label: None,
        reason: r.reason,
        ticket: r.ticket,
        outcome: r.outcome,
        client: r.client,
        detail: r.detail,
        prev_hash: r.prev_hash,
        hash: r.hash,
    }
}

/// Newest first; `before` is the id the previous page ended at.
pub async fn page(db: &Db, f: &AuditFilter, before: Option<i64>, limit: i64) -> DomainResult<Page<AuditEntry>> {
    let rows = store::audit::page(&mut *db.acquire().await?, f, before, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    let mut items: Vec<AuditEntry> = rows.into_iter().take(limit as usize).map(entry).collect();
    let next_cursor = if more { items.last().map(|e| format!("e{}", e.id)) } else { None };
    label_targets(db, &mut items).await?;
    Ok(Page { items, next_cursor })
}

/// Names each entry's target as people know it ("maria.lopez", "SD-4F2A9C1B", "Ada Admin"
/// rather than `account:1`), with one query per kind of target on the page.
async fn label_targets(db: &Db, items: &mut [AuditEntry]) -> DomainResult<()> {
    let ids = |kind: &str| -> Vec<i64> {
        let mut ids: Vec<i64> = items
            .iter()
            .filter(|e| e.target_type.as_deref() == Some(kind))
            .filter_map(|e| e.target_id.as_deref()?.parse().ok())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let (accounts, requests, agents) = (ids("account"), ids("request"), ids("agent"));
    let mut conn = db.acquire().await?;
    let labels: std::collections::HashMap<(String, i64), String> =
        store::audit::target_labels(&mut conn, &accounts, &requests, &agents)
            .await?
            .into_iter()
            .map(|l| ((l.kind, l.id), l.label))
            .collect();
    for e in items.iter_mut() {
        let (Some(kind), Some(id)) = (e.target_type.as_deref(), e.target_id.as_deref()) else { continue };
        let Ok(id) = id.parse::<i64>() else { continue };
        e.target_label = labels.get(&(kind.to_string(), id)).cloned();
    }
    Ok(())
}

/// Puts an export on record, before a byte of it leaves.
pub async fn record_export(
    db: &Db,
    now_ms: i64,
    actor: &super::Actor,
    filter: &AuditFilter,
    format: ExportFormat,
) -> DomainResult<()> {
    let mut tx = db.write().await?;
    let detail = serde_json::json!({ "format": format, "filter": filter });
    let entry = super::Entry { detail, ..super::Entry::new(desk_api::AuditAction::AuditExport, "success") };
    super::record(&mut tx, now_ms, actor, entry).await?;
    store::commit(tx).await?;
    Ok(())
}

pub fn decode_cursor(c: Option<&str>) -> Option<Option<i64>> {
    match c {
        None | Some("") => Some(None),
        Some(c) => c.strip_prefix('e').and_then(crate::domain::cursor_number).map(Some),
    }
}

async fn batch(db: &Db, f: &AuditFilter, after: i64) -> StoreResult<Vec<AuditEntry>> {
    let rows = store::audit::batch(&mut *db.acquire().await?, f, after, EXPORT_BATCH).await?;
    Ok(rows.into_iter().map(entry).collect())
}

pub const CSV_HEADER: &str =
    "id,at,actor_id,actor_email,actor_role,action,target_type,target_id,reason,ticket,outcome,client,detail,prev_hash,hash\n";

fn csv_field(out: &mut String, v: &str) {
    // Quote everything that could break a row, and neutralise spreadsheet formulas.
    let risky = v.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if v.contains([',', '"', '\n', '\r']) || risky {
        out.push('"');
        if risky {
            out.push('\'');
        }
        out.push_str(&v.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(v);
    }
}

pub fn to_csv_line(e: &AuditEntry, out: &mut String) {
    let fields = [
        e.id.to_string(),
        e.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        e.actor_id.map(|v| v.to_string()).unwrap_or_default(),
        e.actor_email.clone().unwrap_or_default(),
        e.actor_role.map(|r| r.as_str().to_string()).unwrap_or_default(),
        e.action.clone(),
        e.target_type.clone().unwrap_or_default(),
        e.target_id.clone().unwrap_or_default(),
        e.reason.clone().unwrap_or_default(),
        e.ticket.clone().unwrap_or_default(),
        e.outcome.clone(),
        e.client.clone(),
        e.detail.clone(),
        e.prev_hash.clone(),
        e.hash.clone(),
    ];
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        csv_field(out, f);
    }
    out.push('\n');
}

/// The export as a stream of chunks, a batch of entries at a time, oldest first: memory stays
/// the same whatever the size of the log.
pub fn export_stream(
    pool: Db,
    filter: AuditFilter,
    format: ExportFormat,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    struct St {
        pool: Db,
        filter: AuditFilter,
        after: i64,
        header: bool,
        done: bool,
    }
    let start = St { pool, filter, after: 0, header: format == ExportFormat::Csv, done: false };
    futures_util::stream::unfold(start, move |mut st| async move {
        if st.done {
            return None;
        }
        let mut out = String::new();
        if st.header {
            out.push_str(CSV_HEADER);
            st.header = false;
        }
        match batch(&st.pool, &st.filter, st.after).await {
            Ok(entries) => {
                if (entries.len() as i64) < EXPORT_BATCH {
                    st.done = true;
                }
                if let Some(last) = entries.last() {
                    st.after = last.id;
                }
                for e in &entries {
                    match format {
                        ExportFormat::Csv => to_csv_line(e, &mut out),
                        ExportFormat::Ndjson => {
                            out.push_str(&serde_json::to_string(e).unwrap_or_default());
                            out.push('\n');
                        }
                    }
                }
                Some((Ok(Bytes::from(out)), st))
            }
            Err(e) => {
                tracing::error!(error = ?e, "audit export failed part-way");
                st.done = true;
                Some((Err(std::io::Error::other("the export failed part-way; see the service log")), st))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_separators_and_defuses_formulas() {
        let mut s = String::new();
        csv_field(&mut s, "a,b");
        s.push('|');
        csv_field(&mut s, "say \"hi\"");
        s.push('|');
        csv_field(&mut s, "=HYPERLINK(\"x\")");
        assert_eq!(s, "\"a,b\"|\"say \"\"hi\"\"\"|\"'=HYPERLINK(\"\"x\"\")\"");
    }

    #[test]
    fn cursors_are_checked() {
        assert_eq!(decode_cursor(Some("e12")), Some(Some(12)));
        assert_eq!(decode_cursor(None), Some(None));
        assert_eq!(decode_cursor(Some("12")), None);
        // e0 is a position before every entry: an empty page, as the API description allows.
        assert_eq!(decode_cursor(Some("e0")), Some(Some(0)));
        for bad in ["e-1", "e+1", "e", "e1234567890123456789"] {
            assert_eq!(decode_cursor(Some(bad)), None, "{bad}");
        }
    }
}
