//! axe-core, the accessibility engine, run in whatever page a WebDriver session shows: the
//! console's screens in WebKit and the end user's pages in Chromium.

use std::path::Path;
use std::sync::OnceLock;

use anyhow::{bail, Context, Result};
use fantoccini::Client;
use serde_json::{json, Value};

/// The rules of WCAG 2.0, 2.1 and 2.2 at levels A and AA: what the issue asks the screens to meet.
const TAGS: &[&str] = &["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

/// axe-core's script, from the UI's pinned dev-dependency (`npm ci` in `ui/` puts it there).
fn source() -> Result<&'static str> {
    static SOURCE: OnceLock<String> = OnceLock::new();
    if let Some(s) = SOURCE.get() {
        return Ok(s);
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/node_modules/axe-core/axe.min.js");
    let s = std::fs::read_to_string(&path)
        .with_context(|| format!("read {} (`npm ci` in ui/ installs it)", path.display()))?;
    Ok(SOURCE.get_or_init(|| s))
}

/// What axe-core finds wrong on the page as it is now, one line per rule broken, naming the
/// elements. The script goes in through WebDriver, which the pages' own CSP does not govern: the
/// pages themselves still run no script.
pub async fn violations(c: &Client) -> Result<Vec<String>> {
    let loaded = c.execute("return typeof window.axe === 'object'", vec![]).await?;
    if loaded != Value::Bool(true) {
        c.execute(&format!("{}\n;return typeof window.axe === 'object';", source()?), vec![])
            .await
            .context("load axe-core into the page")?;
    }
    let run = "const done = arguments[arguments.length - 1];
        window.axe
          .run(document, { runOnly: { type: 'tag', values: arguments[0] }, resultTypes: ['violations'] })
          .then((r) => done(r.violations.map((v) => v.id + ' (' + v.impact + '): ' + v.help + ' at '
              + v.nodes.map((n) => n.target.join(' ') + (n.failureSummary ? ' [' + n.failureSummary.replace(/\\s+/g, ' ') + ']' : '')).join('; '))))
          .catch((e) => done(['axe-core did not run: ' + e]));";
    let found = c.execute_async(run, vec![json!(TAGS)]).await.context("run axe-core")?;
    let Value::Array(found) = found else { bail!("axe-core answered {found}") };
    Ok(found.into_iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)).collect())
}

/// Fails, naming the screen, when axe-core finds anything on it.
pub async fn check(c: &Client, screen: &str) -> Result<()> {
    let found = violations(c).await?;
    if !found.is_empty() {
        bail!("axe-core on {screen}: {} violation(s):\n  {}", found.len(), found.join("\n  "));
    }
    Ok(())
}

/// Shows that the checker sees this page: a broken image and an unlabelled field are added to
/// it, axe-core must report both, and they are taken away again. Without this a pass could mean
/// that axe-core never ran.
pub async fn sees_a_known_violation(c: &Client) -> Result<()> {
    c.execute(
        "const d = document.createElement('div'); d.id = 'axe-probe';
         d.innerHTML = '<img id=\"axe-probe-img\" src=\"data:,\"><input id=\"axe-probe-input\">'; document.body.appendChild(d);",
        vec![],
    )
    .await?;
    let found = violations(c).await;
    c.execute("document.getElementById('axe-probe')?.remove()", vec![]).await?;
    let found = found?;
    let names = |rule: &str, id: &str| found.iter().any(|v| v.starts_with(rule) && v.contains(id));
    if !(names("image-alt", "#axe-probe-img") && names("label", "#axe-probe-input")) {
        bail!("axe-core missed the probe's violations: {found:?}");
    }
    Ok(())
}
