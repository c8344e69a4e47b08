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

/// The same model for a list whose rows carry increasing keys (connection
/// ids) and can be removed from the middle (pruned closed rows): a held view
/// holds a row by its key, so removing rows above it never moves it onto
/// another row; a removed held row gives way to the next one still there.
impl Follow {
    /// The index looked at in `keys` (ascending): the held row, or the first
    /// after it if it is gone, or the newest while following.
    pub fn index_in(&self, keys: &[u64]) -> Option<usize> {
        let last = keys.len().checked_sub(1)?;
        Some(match self.held {
            None => last,
            Some(held) => keys.partition_point(|key| *key < held).min(last),
        })
    }

    /// The key looked at in `keys`.
    pub fn key_in(&self, keys: &[u64]) -> Option<u64> {
        self.index_in(keys).map(|at| keys[at])
    }

    /// Moves `by` rows in `keys`; reaching the newest follows again.
    pub fn step_in(&mut self, by: i64, keys: &[u64]) {
        if let Some(at) = self.index_in(keys) {
            let last = keys.len() - 1;
            let moved = at.saturating_add_signed(by as isize).min(last);
            self.held = (moved < last).then(|| keys[moved]);
        }
    }

    /// Holds on the first row of `keys`.
    pub fn to_first_in(&mut self, keys: &[u64]) {
        if keys.len() > 1 {
            self.held = Some(keys[0]);
        }
    }

    /// Holds on the row keyed `key` (a click, a search hit).
    pub fn hold(&mut self, key: u64) {
        self.held = Some(key);
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

    #[test]
    fn keyed_rows_hold_by_identity() {
        let mut view = Follow::default();
        assert_eq!(view.index_in(&[]), None);
        assert_eq!(view.key_in(&[3, 5, 9]), Some(9), "follows the newest");
        view.step_in(-1, &[3, 5, 9]);
        assert_eq!(view.key_in(&[3, 5, 9]), Some(5));
        // A new row and a pruned row above do not move the view off row 5.
        assert_eq!(view.key_in(&[5, 9, 12]), Some(5));
        assert_eq!(view.index_in(&[5, 9, 12]), Some(0));
        // Row 5 itself pruned: the next row still there.
        assert_eq!(view.key_in(&[9, 12]), Some(9));
        view.step_in(-10, &[3, 5, 9]);
        assert_eq!(view.key_in(&[3, 5, 9]), Some(3), "stops at the first");
        view.step_in(10, &[3, 5, 9]);
        assert!(view.following(), "reaching the newest follows again");
        view.to_first_in(&[3, 5, 9]);
        assert_eq!(view.key_in(&[3, 5, 9, 10]), Some(3));
        view.hold(9);
        assert_eq!(view.key_in(&[3, 5, 9, 10]), Some(9));
    }
}
