//! Per-agent figures for a period, and the anomaly flags a lead should look at.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Timelike, Utc};
use desk_api::{ActionCount, ActionGroup, AgentFigures, Anomaly, AnomalyKind, AuditAction, Figures};

use super::rollups;
use crate::clock::from_ms;
use crate::domain::DomainResult;
use crate::store::staff::StaffRow;
use crate::store::{self, Conn, Db, StoreResult};

/// The actions of a group.
fn actions(group: ActionGroup) -> Vec<AuditAction> {
    AuditAction::ALL.iter().copied().filter(|a| a.group() == group).collect()
}

fn in_group(action: &str, group: ActionGroup) -> bool {
    AuditAction::parse(action).is_some_and(|a| a.group() == group)
}

/// Failed or refused sign-ins for one agent's address in the period that make a flood.
const SIGN_IN_FLOOD_MIN: u64 = 20;

/// A rate this many times the team's median, and at least `HIGH_RATE_MIN` actions, is flagged.
const HIGH_RATE_FACTOR: u64 = 3;
const HIGH_RATE_MIN: u64 = 20;
/// Hours are "usual" when the agent has at least this much history to judge by.
const USUAL_HOURS_MIN_HISTORY: u64 = 20;
const RECENT_CHANGE_MS: i64 = 7 * 24 * 3600 * 1000;
const RESETS_ON_CHANGED_MIN: usize = 3;
const REPEATED_REVEALS_MIN: usize = 5;
const MAX_IDS: usize = 100;

struct E {
    id: i64,
    at_ms: i64,
    actor_id: i64,
    action: String,
    target: Option<String>,
    outcome: String,
}

async fn entries(conn: &mut Conn, from_ms: i64, to_ms: i64) -> StoreResult<Vec<E>> {
    let rows = store::audit::staff_entries(conn, from_ms, to_ms).await?;
    Ok(rows
        .into_iter()
        .map(|r| E {
            id: r.id,
            at_ms: r.at_ms,
            actor_id: r.actor_id,
            action: r.action,
            target: match (r.target_type.as_deref(), r.target_id) {
                (Some("account"), Some(t)) => Some(t),
                _ => None,
            },
            outcome: r.outcome,
        })
        .collect())
}

fn median(mut v: Vec<u64>) -> Option<u64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    Some(v[v.len() / 2])
}

pub async fn figures(db: &Db, from: DateTime<Utc>, to: DateTime<Utc>) -> DomainResult<Figures> {
    let (from_ms, to_ms) = (from.timestamp_millis(), to.timestamp_millis());
    let mut conn = db.acquire().await?;
    let agents = store::staff::all(&mut conn).await?;
    let period = entries(&mut conn, from_ms, to_ms).await?;
    let mut handling = handling_secs(&mut conn, from_ms, to_ms).await?;
    let mut by_agent: HashMap<i64, Vec<&E>> = HashMap::new();
    for e in &period {
        by_agent.entry(e.actor_id).or_default().push(e);
    }

    let mut out = Vec::new();
    for StaffRow { id, email, name, role } in &agents {
        let mine = by_agent.get(id).map(Vec::as_slice).unwrap_or(&[]);
        let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
        let mut by_hour = vec![0u64; 24];
        for e in mine {
            *counts.entry(e.action.as_str()).or_default() += 1;
            by_hour[from_ms_hour(e.at_ms)] += 1;
        }
        out.push(AgentFigures {
            agent_id: *id,
            email: email.clone(),
            name: name.clone(),
            role: *role,
            actions: mine.len() as u64,
            by_action: counts.iter().map(|(a, c)| ActionCount { action: a.to_string(), count: *c }).collect(),
            resets_sent: mine
                .iter()
                .filter(|e| in_group(&e.action, ActionGroup::Reset) && e.outcome == "success")
                .count() as u64,
            queue_decisions: mine.iter().filter(|e| in_group(&e.action, ActionGroup::Decision)).count() as u64,
            median_handling_secs: median(handling.remove(id).unwrap_or_default()),
            second_approvals: mine.iter().filter(|e| in_group(&e.action, ActionGroup::SecondApproval)).count() as u64,
            by_hour,
        });
    }

    let anomalies = anomalies(&mut conn, &agents, &by_agent, from_ms, to_ms).await?;
    Ok(Figures { from, to, agents: out, anomalies })
}

/// Per agent, the seconds from their claim of a request to their decision on it, for each
/// decision of the period (the claim may be older than the period). One query for all agents.
async fn handling_secs(conn: &mut Conn, from_ms: i64, to_ms: i64) -> StoreResult<HashMap<i64, Vec<u64>>> {
    let rows = store::audit::decisions_with_claims(conn, &actions(ActionGroup::Decision), from_ms, to_ms).await?;
    let mut out: HashMap<i64, Vec<u64>> = HashMap::new();
    for r in rows {
        if let Some(claimed) = r.claimed_ms {
            out.entry(r.actor_id).or_default().push(((r.decided_ms - claimed).max(0) / 1000) as u64);
        }
    }
    Ok(out)
}

fn from_ms_hour(ms: i64) -> usize {
    from_ms(ms).hour() as usize
}

async fn anomalies(
    conn: &mut Conn,
    agents: &[StaffRow],
    by_agent: &HashMap<i64, Vec<&E>>,
    from_ms: i64,
    to_ms: i64,
) -> StoreResult<Vec<Anomaly>> {
    let email_of: HashMap<i64, &str> = agents.iter().map(|a| (a.id, a.email.as_str())).collect();
    let mut flags = Vec::new();
    let mut flag = |kind, agent_id: i64, summary: String, ids: Vec<i64>| {
        flags.push(Anomaly {
            kind,
            agent_id,
            agent_email: email_of.get(&agent_id).unwrap_or(&"").to_string(),
            summary,
            entry_ids: ids.into_iter().take(MAX_IDS).collect(),
        })
    };

    // A rate far above the rest of the team's (the agent's own count would pull the median up).
    for (agent, mine) in by_agent {
        let others: Vec<u64> = by_agent.iter().filter(|(a, _)| *a != agent).map(|(_, v)| v.len() as u64).collect();
        let Some(team) = median(others) else { continue };
        let n = mine.len() as u64;
        if n >= HIGH_RATE_MIN && n > team.max(1) * HIGH_RATE_FACTOR {
            flag(
                AnomalyKind::HighRate,
                *agent,
                format!("{n} actions against a team median of {team}"),
                mine.iter().map(|e| e.id).collect(),
            );
        }
    }

    // Hours the agent does not usually work, judged on the 30 days before the period.
    let history = entries(conn, from_ms - 30 * 24 * 3600 * 1000, from_ms).await?;
    let mut usual: HashMap<i64, [u64; 24]> = HashMap::new();
    for e in &history {
        usual.entry(e.actor_id).or_insert([0; 24])[from_ms_hour(e.at_ms)] += 1;
    }
    for (agent, mine) in by_agent {
        let Some(hours) = usual.get(agent) else { continue };
        if hours.iter().sum::<u64>() < USUAL_HOURS_MIN_HISTORY {
            continue;
        }
        let odd: Vec<i64> = mine.iter().filter(|e| hours[from_ms_hour(e.at_ms)] == 0).map(|e| e.id).collect();
        if !odd.is_empty() {
            flag(
                AnomalyKind::OutsideUsualHours,
                *agent,
                format!("{} actions at hours this agent has not worked in the 30 days before", odd.len()),
                odd,
            );
        }
    }

    // Resets on accounts whose security details changed shortly before.
    let changes =
        store::audit::account_changes_since(conn, &actions(ActionGroup::AccountChange), from_ms - RECENT_CHANGE_MS)
            .await?;
    let mut changed: HashMap<&str, Vec<i64>> = HashMap::new();
    for c in &changes {
        changed.entry(c.target_id.as_str()).or_default().push(c.at_ms);
    }
    for (agent, mine) in by_agent {
        let hits: Vec<i64> = mine
            .iter()
            .filter(|e| in_group(&e.action, ActionGroup::Reset) && e.outcome == "success")
            .filter(|e| {
                e.target
                    .as_deref()
                    .and_then(|t| changed.get(t))
                    .is_some_and(|ats| ats.iter().any(|at| *at <= e.at_ms && e.at_ms - at <= RECENT_CHANGE_MS))
            })
            .map(|e| e.id)
            .collect();
        if hits.len() >= RESETS_ON_CHANGED_MIN {
            flag(
                AnomalyKind::ResetsOnRecentlyChangedAccounts,
                *agent,
                format!("{} resets on accounts whose security details changed in the 7 days before", hits.len()),
                hits,
            );
        }
    }

    // Repeated reveals of full addresses.
    for (agent, mine) in by_agent {
        let reveals: Vec<&E> = mine.iter().copied().filter(|e| in_group(&e.action, ActionGroup::Reveal)).collect();
        if reveals.len() >= REPEATED_REVEALS_MIN {
            let accounts: HashSet<_> = reveals.iter().filter_map(|e| e.target.as_deref()).collect();
            flag(
                AnomalyKind::RepeatedReveals,
                *agent,
                format!("{} full-address reveals on {} accounts", reveals.len(), accounts.len()),
                reveals.iter().map(|e| e.id).collect(),
            );
        }
    }
    // Failed and refused sign-ins aimed at an agent's address: someone guessing, or keeping the
    // agent out. Refusals are summarised per window, so a summary stands for many.
    let attempts = store::audit::failed_sign_ins(conn, rollups::OUTCOME, from_ms, to_ms).await?;
    for StaffRow { id, email, .. } in agents {
        let aimed: Vec<_> = attempts.iter().filter(|a| a.target_id.as_deref() == Some(email.as_str())).collect();
        let count: u64 =
            aimed.iter().map(|a| rollups::refusals_in(&serde_json::from_str(&a.detail).unwrap_or_default())).sum();
        if count >= SIGN_IN_FLOOD_MIN {
            let clients: HashSet<&str> = aimed.iter().map(|a| crate::http::client_ip(&a.client)).collect();
            flag(
                AnomalyKind::SignInFlood,
                *id,
                format!("{count} failed or refused sign-ins for this agent's address from {} clients", clients.len()),
                aimed.iter().map(|a| a.id).collect(),
            );
        }
    }
    flags.sort_by_key(|a| (a.agent_id, a.kind as u8));
    Ok(flags)
}
