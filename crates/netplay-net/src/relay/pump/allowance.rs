//! A direction that may carry only so many bytes: the relay as an HTTP
//! proxy forwards one request per connection (its head, then exactly its
//! `Content-Length` of body); what the client sends past it — a pipelined
//! request with its own `Proxy-Authorization` — is read and dropped, and
//! said once.

use super::Pump;
use crate::relay::RelayEvent;

impl Pump {
    /// Carries at most `bytes` more (`None`: no bound); what comes past
    /// it is read and dropped, and said once.
    pub(crate) fn allowance(mut self, bytes: Option<u64>) -> Self {
        self.allowance = bytes;
        self
    }

    /// How much of a read of `n` bytes goes on, within the allowance.
    pub(super) async fn within_allowance(&mut self, n: usize) -> usize {
        let Some(left) = self.allowance.as_mut() else {
            return n;
        };
        let keep = n.min(usize::try_from(*left).unwrap_or(usize::MAX));
        *left -= keep as u64;
        if keep < n {
            if self.dropped == 0 {
                let reason = format!(
                    "{}: bytes after the proxied request are not relayed (one request per connection through the HTTP proxy: a pipelined request would carry its Proxy-Authorization to the server)",
                    self.pair
                );
                self.context.emit(RelayEvent::Warning { reason }).await;
            }
            self.dropped += (n - keep) as u64;
        }
        keep
    }
}
