//! Headless Chromium under ChromeDriver (Debian's `chromium` and `chromium-driver`), for the end
//! user's pages: they are opened in an ordinary browser, not in the console's WebKit.

use std::process::{Command, Stdio};

use anyhow::{Context, Result};
use fantoccini::{Client, ClientBuilder};
use serde_json::json;

use crate::{free_port, wait_for_port, Killed, WAIT};

/// A browser session; ChromeDriver (and the browser with it) ends when this is dropped.
pub struct Chromium {
    pub client: Client,
    _driver: Killed,
}

pub async fn open_chromium() -> Result<Chromium> {
    let port = free_port();
    let driver = Killed(
        Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("start chromedriver (Debian's chromium-driver package)")?,
    );
    wait_for_port(port).await?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    // No sandbox: tests run as root in CI, where Chromium refuses its sandbox.
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--hide-scrollbars", "--window-size=1280,900"]
        }
    });
    let mut builder = ClientBuilder::rustls()?;
    builder.capabilities(caps.as_object().unwrap().clone());
    let client = tokio::time::timeout(WAIT, builder.connect(&format!("http://127.0.0.1:{port}")))
        .await
        .context("Chromium did not start")?
        .context("open a WebDriver session on Chromium")?;
    Ok(Chromium { client, _driver: driver })
}
