//! Queued bytes of an upgraded pair, cut at message boundaries: while a
//! direction is held (or faulted) each chunk of its queue is one whole
//! WebSocket message — its frames from first byte to FIN, with any control
//! frame sent between its fragments — so step, edit and drop act on
//! messages, and an injected frame never lands inside one.
//!
//! A message is gathered until it ends, up to [`MESSAGE_HOLD`] bytes; a
//! longer one (or one whose start already went on the fast path) is queued
//! as plain bytes, which still pass in order but are not editable as text.

/// The longest message gathered whole; past it, its bytes queue as they
/// come.
pub(crate) const MESSAGE_HOLD: usize = 256 * 1024;

/// A piece for the queue.
pub(crate) struct Piece {
    pub(crate) bytes: Vec<u8>,
    /// Exactly one message, from its first byte to its last.
    pub(crate) message: bool,
    /// It ends between messages (a frame may be injected after it).
    pub(crate) boundary: bool,
    /// Bytes of the relay-wide budget it holds.
    pub(crate) charged: usize,
}

/// The gathering state of one direction.
#[derive(Default)]
pub(crate) struct Cutter {
    partial: Vec<u8>,
    /// Whether `partial` began at a message boundary.
    aligned: bool,
    /// Bytes of the relay-wide budget `partial` holds (given back when the
    /// pump ends).
    pub(crate) charged: usize,
}

impl Cutter {
    /// Bytes gathered of an unfinished message.
    pub(crate) fn len(&self) -> usize {
        self.partial.len()
    }

    /// Takes the frames of one read: `cuts` are where messages end in it,
    /// `aligned` whether the stream before it ended between messages,
    /// `charged` the budget the pump took for it. The pieces to queue.
    pub(crate) fn cut(
        &mut self,
        bytes: &[u8],
        cuts: &[usize],
        aligned: bool,
        charged: usize,
    ) -> Vec<Piece> {
        if self.partial.is_empty() {
            self.aligned = aligned;
        }
        self.charged += charged;
        let mut pieces = Vec::new();
        let mut start = 0;
        for &cut in cuts {
            let cut = cut.clamp(start, bytes.len());
            let mut whole = std::mem::take(&mut self.partial);
            whole.extend_from_slice(&bytes[start..cut]);
            let aligned = self.aligned;
            pieces.push(self.piece(whole, aligned, true));
            self.aligned = true;
            start = cut;
        }
        self.partial.extend_from_slice(&bytes[start..]);
        if self.partial.len() >= MESSAGE_HOLD {
            pieces.extend(self.flush());
        }
        pieces
    }

    /// What is gathered, as plain bytes (the hold went off, the sender
    /// finished, or the message is too long to hold whole).
    pub(crate) fn flush(&mut self) -> Option<Piece> {
        if self.partial.is_empty() {
            return None;
        }
        let bytes = std::mem::take(&mut self.partial);
        self.aligned = false;
        Some(self.piece(bytes, false, false))
    }

    fn piece(&mut self, bytes: Vec<u8>, message: bool, boundary: bool) -> Piece {
        let charged = self.charged.min(bytes.len());
        self.charged -= charged;
        Piece {
            bytes,
            message,
            boundary,
            charged,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_cut_whole_across_reads_and_a_late_start_is_bytes() {
        let mut cutter = Cutter::default();
        // "aaa" ends a message, then "bb" begins one.
        let pieces = cutter.cut(b"aaabb", &[3], true, 5);
        assert_eq!(pieces.len(), 1);
        assert_eq!(
            (&pieces[0].bytes[..], pieces[0].message),
            (&b"aaa"[..], true)
        );
        assert_eq!(cutter.len(), 2);
        let pieces = cutter.cut(b"bcc", &[1], true, 3);
        assert_eq!(
            (&pieces[0].bytes[..], pieces[0].message),
            (&b"bbb"[..], true)
        );
        assert_eq!((pieces[0].charged, cutter.charged), (3, 2));
        // Joined mid-message (its start went on the fast path): bytes.
        let mut late = Cutter::default();
        let pieces = late.cut(b"xxyy", &[2], false, 0);
        assert!(!pieces[0].message && pieces[0].boundary);
        assert!(late.flush().is_some_and(|p| !p.message && !p.boundary));
    }

    #[test]
    fn a_message_past_the_cap_goes_as_bytes_and_the_budget_follows_the_bytes() {
        let mut cutter = Cutter::default();
        let big = vec![0u8; MESSAGE_HOLD];
        let pieces = cutter.cut(&big, &[], true, MESSAGE_HOLD);
        assert_eq!(pieces.len(), 1);
        assert!(!pieces[0].message && !pieces[0].boundary);
        assert_eq!(
            (pieces[0].charged, cutter.charged, cutter.len()),
            (MESSAGE_HOLD, 0, 0)
        );
        let pieces = cutter.cut(b"end", &[3], false, 3);
        assert!(!pieces[0].message && pieces[0].boundary, "the rest of it");
    }
}
