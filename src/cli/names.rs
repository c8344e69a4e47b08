//! `--resolve` and `--connect-to`, as curl defines them, on `fetch`, `tcp
//! connect` and `ws`: where the connection goes, while the Host header and
//! the TLS server name stay the URL's (`crate::net::names`).

use std::sync::Arc;

use clap::Args;

use crate::net::names::Overrides;

/// The name-override flags a client command takes.
#[derive(Args, Debug, Clone, Default)]
pub struct NameArgs {
    /// Use ADDR for HOST:PORT instead of asking DNS (as curl's --resolve;
    /// HOST may be *, several addresses are tried in order; repeatable).
    #[arg(long = "resolve", value_name = "HOST:PORT:ADDR[,ADDR]")]
    pub resolve: Vec<String>,
    /// Connect to HOST2:PORT2 when the target is HOST1:PORT1 (as curl's
    /// --connect-to; empty parts: any / the same; repeatable). The Host
    /// header and the TLS server name stay the target's.
    #[arg(long = "connect-to", value_name = "HOST1:PORT1:HOST2:PORT2")]
    pub connect_to: Vec<String>,
}

impl NameArgs {
    /// The overrides given, or the first malformed one's reason.
    pub fn overrides(&self) -> Result<Arc<Overrides>, String> {
        let mut names = Overrides::default();
        for text in &self.resolve {
            names
                .add_resolve(text)
                .map_err(|reason| format!("--resolve {reason}"))?;
        }
        for text in &self.connect_to {
            names
                .add_connect_to(text)
                .map_err(|reason| format!("--connect-to {reason}"))?;
        }
        Ok(Arc::new(names))
    }
}
