//! The smoke test of a build someone would ship: sign in, search, open an account, and the About
//! box shows the console's and the service's version. `make test` runs it twice: here against the
//! debug build with the rest, and in `make test-installed` against the binary the `.deb` installed
//! (`E2E_APP=/usr/bin/recovery-desk`).

use anyhow::Result;
use desk_e2e::{console_for, find, shot, sign_in, start_service};
use fantoccini::key::Key;

#[tokio::test(flavor = "multi_thread")]
async fn console_signs_in_searches_and_opens_an_account() -> Result<()> {
    desk_e2e::require_display()?;
    let service = start_service("").await?;
    let (_home, _env, console) = console_for(&service, &[]).await?;
    let c = &console.client;
    let outcome = async {
        sign_in(c, "agent@demo.test", "demo-agent-pass", "JBSWY3DPEHPK3PXP").await?;
        let search = find(c, "#search").await?;
        search.send_keys("maria.lopez").await?;
        search.send_keys(&Key::Enter.to_string()).await?;
        find(c, "#results [data-testid=result][data-id='1']").await?.click().await?;
        let username = find(c, "#account-detail #account-username").await?;
        assert_eq!(username.text().await?.trim(), "maria.lopez");
        shot(c, "smoke-account").await?;

        // The About box: the console's version beside the service's, one number for both.
        find(c, "#about-open").await?.click().await?;
        let service = find(c, "#about-service-version[data-ok=true]").await?;
        assert!(service.text().await?.contains(env!("CARGO_PKG_VERSION")));
        assert_eq!(find(c, "#about-app-version").await?.text().await?.trim(), env!("CARGO_PKG_VERSION"));
        let diagnostics = find(c, "#about-diagnostics").await?.prop("value").await?.unwrap_or_default();
        assert!(diagnostics.contains(&format!("Recovery Desk {}", env!("CARGO_PKG_VERSION"))), "{diagnostics}");
        assert!(diagnostics.contains("Logs: "), "{diagnostics}");
        assert!(!diagnostics.contains("demo-agent-pass"), "{diagnostics}");
        assert!(diagnostics.contains("Setting GPU compositing: off (default)"), "{diagnostics}");
        shot(c, "smoke-about").await?;
        find(c, "#about-close").await?.click().await?;
        Ok::<_, anyhow::Error>(())
    }
    .await;
    // WebKit's web process started without GPU compositing: the console set it, and the rest of
    // its software drawing, before GTK began.
    let environs: Vec<Vec<u8>> = desk_e2e::children_named(&desk_e2e::app_binary()?, "WebKitWebProces")
        .into_iter()
        .map(|pid| std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default())
        .collect();
    console.close().await;
    outcome?;
    assert!(!environs.is_empty(), "no WebKit web process of the console was found");
    for environ in environs {
        for wanted in ["WEBKIT_DISABLE_COMPOSITING_MODE=1", "WEBKIT_DISABLE_DMABUF_RENDERER=1", "GDK_GL=disable"] {
            let set = environ.split(|b| *b == 0).any(|v| v == wanted.as_bytes());
            assert!(set, "a web process of the console started without {wanted}");
        }
    }
    Ok(())
}
