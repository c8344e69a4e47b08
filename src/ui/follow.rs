//! One scroll/follow model for the lists that grow while you look at them
//! (the logs and transcripts, the UDP packet list): a position that either
//! follows the newest item or is held on one, in absolute numbers, so new
//! arrivals never move what you are looking at, and dropped ones cannot
//! leave it pointing at nothing.

use crossterm::event::{KeyCode, KeyEvent};

/// Where a growing list is looking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Follow {
    held: Option<u64>,
}

impl Follow {
    /// Whether it follows the newest item.
    pub fn following(&self) -> bool {
        self.held.is_none()
    }

    /// The position looked at: the held one, kept within `oldest..=newest`,
    /// or `newest` while following. `None` for an empty list.
    pub fn at(&self, oldest: u64, newest: Option<u64>) -> Option<u64> {
        let newest = newest?;
        Some(
            self.held
                .map_or(newest, |held| held.clamp(oldest.min(newest), newest)),
        )
    }

    /// Moves `by` items (negative: older); reaching the newest follows again.
    pub fn step(&mut self, by: i64, oldest: u64, newest: Option<u64>) {
        let (Some(newest), Some(at)) = (newest, self.at(oldest, newest)) else {
            return;
        };
        let moved = at
            .saturating_add_signed(by)
            .clamp(oldest.min(newest), newest);
        self.held = (moved < newest).then_some(moved);
    }

    /// Holds on the oldest item (Home).
    pub fn to_oldest(&mut self, oldest: u64, newest: Option<u64>) {
        if let Some(newest) = newest {
            let oldest = oldest.min(newest);
            self.held = (oldest < newest).then_some(oldest);
        }
    }

    /// Follows the newest again (End).
    pub fn follow(&mut self) {
        self.held = None;
    }

    /// Holds where it is, or follows again (Space).
    pub fn toggle(&mut self, oldest: u64, newest: Option<u64>) {
        self.held = match self.held {
            Some(_) => None,
            None => self.at(oldest, newest),
        };
    }

    /// The moving keys of a list pane: ↑ ↓ PgUp PgDn (by `page`), Home,
    /// End. Whether the key was one of them.
    pub fn key(&mut self, key: &KeyEvent, page: u64, oldest: u64, newest: Option<u64>) -> bool {
        let page = i64::try_from(page).unwrap_or(i64::MAX);
        match key.code {
            KeyCode::Up => self.step(-1, oldest, newest),
            KeyCode::Down => self.step(1, oldest, newest),
            KeyCode::PageUp => self.step(-page, oldest, newest),
            KeyCode::PageDown => self.step(page, oldest, newest),
            KeyCode::Home => self.to_oldest(oldest, newest),
            KeyCode::End => self.follow(),
            _ => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_holds_and_comes_back() {
        let mut view = Follow::default();
        assert_eq!(view.at(0, None), None);
        assert_eq!(view.at(0, Some(9)), Some(9));
        view.step(-3, 0, Some(9));
        assert_eq!(view.at(0, Some(9)), Some(6));
        // Arrivals do not move a held view...
        assert_eq!(view.at(0, Some(50)), Some(6));
        // ...and drops cannot leave it before the oldest.
        assert_eq!(view.at(20, Some(50)), Some(20));
        view.step(100, 20, Some(50));
        assert!(view.following(), "reaching the newest follows again");
        view.to_oldest(20, Some(50));
        assert_eq!(view.at(20, Some(50)), Some(20));
        view.follow();
        assert!(view.following());
        view.toggle(0, Some(5));
        assert_eq!(view.at(0, Some(8)), Some(5), "held where it was");
        view.toggle(0, Some(8));
        assert!(view.following());
    }
}
