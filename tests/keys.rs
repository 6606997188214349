//! What an everyday task costs an agent, counted: every key press and click of the task goes
//! through one `Tally`, which prints the totals and adds them to
//! `target/e2e-screenshots/keystrokes.txt`. Free text (a note, a ticket) is counted apart: it is
//! the agent's words, not the console's cost.

use std::io::Write;

use anyhow::{bail, Result};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::Client;
use serde_json::{json, Value};

use crate::target_dir;

/// The most Tabs a task may take to reach one control before the test calls it unreachable.
const MAX_TABS: u32 = 60;

pub struct Tally {
    task: &'static str,
    keys: u32,
    typed: u32,
    clicks: u32,
}

impl Tally {
    pub fn new(task: &'static str) -> Self {
        Tally { task, keys: 0, typed: 0, clicks: 0 }
    }

    /// One key (a letter shortcut, Enter, Space, an arrow) to whatever has the focus: real
    /// WebDriver input, as a user's.
    pub async fn key(&mut self, c: &Client, key: impl Into<char>) -> Result<()> {
        let k = key.into();
        c.perform_actions(
            KeyActions::new("tally".into()).then(KeyAction::Down { value: k }).then(KeyAction::Up { value: k }),
        )
        .await?;
        self.keys += 1;
        Ok(())
    }

    /// Shift+Tab, counted as one key press.
    pub async fn shift_tab(&mut self, c: &Client) -> Result<()> {
        let (shift, tab): (char, char) = (Key::Shift.into(), Key::Tab.into());
        let chord = KeyActions::new("tally".into())
            .then(KeyAction::Down { value: shift })
            .then(KeyAction::Down { value: tab })
            .then(KeyAction::Up { value: tab })
            .then(KeyAction::Up { value: shift });
        c.perform_actions(chord).await?;
        self.keys += 1;
        Ok(())
    }

    /// Free text into the focused field.
    pub async fn type_text(&mut self, c: &Client, text: &str) -> Result<()> {
        let mut actions = KeyActions::new("tally".into());
        for ch in text.chars() {
            actions = actions.then(KeyAction::Down { value: ch }).then(KeyAction::Up { value: ch });
        }
        c.perform_actions(actions).await?;
        self.typed += text.chars().count() as u32;
        Ok(())
    }

    pub async fn click(&mut self, element: Element) -> Result<()> {
        element.click().await?;
        self.clicks += 1;
        Ok(())
    }

    /// Tab forward (each press counted) until the focus is on `css`.
    pub async fn tab_to(&mut self, c: &Client, css: &str) -> Result<()> {
        self.move_focus_to(c, css, true).await
    }

    /// Shift+Tab (each press counted) until the focus is on `css`.
    pub async fn shift_tab_to(&mut self, c: &Client, css: &str) -> Result<()> {
        self.move_focus_to(c, css, false).await
    }

    async fn move_focus_to(&mut self, c: &Client, css: &str, forward: bool) -> Result<()> {
        for _ in 0..MAX_TABS {
            if focused(c, css).await? {
                return Ok(());
            }
            if forward {
                self.key(c, Key::Tab).await?;
            } else {
                self.shift_tab(c).await?;
            }
        }
        bail!("{MAX_TABS} Tabs did not reach {css} ({})", self.task)
    }

    /// Prints the totals and records them for the run.
    pub fn report(&self) -> Result<String> {
        let line = format!(
            "{}: {} key press(es), {} click(s), and {} character(s) of free text",
            self.task, self.keys, self.clicks, self.typed
        );
        println!("keystrokes: {line}");
        let dir = target_dir().join("e2e-screenshots");
        std::fs::create_dir_all(&dir)?;
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("keystrokes.txt"))?;
        writeln!(f, "{line}")?;
        Ok(line)
    }

    pub fn keys(&self) -> u32 {
        self.keys
    }

    pub fn clicks(&self) -> u32 {
        self.clicks
    }
}

/// Whether the focused element matches `css`.
pub async fn focused(c: &Client, css: &str) -> Result<bool> {
    let v = c
        .execute("return !!document.activeElement && document.activeElement.matches(arguments[0])", vec![json!(css)])
        .await?;
    Ok(v == Value::Bool(true))
}
