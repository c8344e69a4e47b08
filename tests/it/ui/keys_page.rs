//! `docs/keys.md` is generated from the binding tables: this fails when the
//! page is stale (`NETPLAY_BLESS=1` rewrites it).

use crate::common;

use common::ui::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docs_keys_md_matches_the_binding_tables() {
    let (app, _rx) = new_app();
    let page = netplay::ui::shell::help::markdown(&netplay::ui::shell::help::sections(&app));
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/keys.md");
    if std::env::var_os("NETPLAY_BLESS").is_some() {
        std::fs::write(&path, &page).unwrap();
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == page,
        "docs/keys.md is stale: run `NETPLAY_BLESS=1 cargo test --test it ui::keys_page` and commit it"
    );
}
