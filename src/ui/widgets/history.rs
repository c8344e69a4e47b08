//! A field's history, as a shell keeps one: ↑ recalls older entries, ↓
//! newer ones and finally the draft that was being typed. Bounded: the
//! oldest entries go first. The composers (messages) and the HTTP tab's
//! URL field use it, and it is what the remembered state keeps.

use std::collections::VecDeque;

use crate::ui::widgets::input::InputField;

/// Entries kept per history.
pub const HISTORY_LIMIT: usize = crate::state::HISTORY_KEPT;

/// The history of one field.
#[derive(Debug, Clone, Default)]
pub struct History {
    items: VecDeque<String>,
    browsing: Option<usize>,
    draft: String,
}

impl History {
    /// Adds `text` as the newest entry (not twice in a row, never empty)
    /// and ends any browsing.
    pub fn push(&mut self, text: &str) {
        self.browsing = None;
        self.draft.clear();
        if text.is_empty() || self.items.back().map(String::as_str) == Some(text) {
            return;
        }
        if self.items.len() == HISTORY_LIMIT {
            self.items.pop_front();
        }
        self.items.push_back(text.to_string());
    }

    /// The entries, oldest first.
    pub fn items(&self) -> impl Iterator<Item = &String> {
        self.items.iter()
    }

    /// The newest entry.
    pub fn last(&self) -> Option<&str> {
        self.items.back().map(String::as_str)
    }

    /// Replaces every entry (remembered state), keeping the newest ones.
    pub fn replace(&mut self, items: &[String]) {
        let kept: Vec<&String> = items.iter().filter(|item| !item.is_empty()).collect();
        self.items = kept
            .iter()
            .skip(kept.len().saturating_sub(HISTORY_LIMIT))
            .map(|item| (*item).clone())
            .collect();
        self.browsing = None;
    }

    /// The field was edited by hand: browsing ends there.
    pub fn edited(&mut self) {
        self.browsing = None;
    }

    /// ↑: the next older entry into `field`; whether it changed.
    pub fn older(&mut self, field: &mut InputField) -> bool {
        if self.items.is_empty() {
            return false;
        }
        let next = match self.browsing {
            None => {
                self.draft = field.text().to_string();
                self.items.len() - 1
            }
            Some(0) => return false,
            Some(at) => at - 1,
        };
        self.browsing = Some(next);
        field.set_text(&self.items[next]);
        true
    }

    /// ↓: the next newer entry, and past the newest the draft again.
    pub fn newer(&mut self, field: &mut InputField) -> bool {
        let Some(at) = self.browsing else {
            return false;
        };
        if at + 1 < self.items.len() {
            self.browsing = Some(at + 1);
            field.set_text(&self.items[at + 1]);
        } else {
            self.browsing = None;
            field.set_text(&std::mem::take(&mut self.draft));
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn up_and_down_walk_back_to_the_draft_and_the_bound_holds() {
        let mut history = History::default();
        let mut field = InputField::new("", "");
        history.push("one");
        history.push("two");
        history.push("two");
        field.set_text("draft");
        assert!(history.older(&mut field));
        assert_eq!(field.text(), "two");
        assert!(history.older(&mut field));
        assert_eq!(field.text(), "one");
        assert!(!history.older(&mut field), "no older entry");
        assert!(history.newer(&mut field));
        assert!(history.newer(&mut field));
        assert_eq!(field.text(), "draft");
        for n in 0..HISTORY_LIMIT + 5 {
            history.push(&n.to_string());
        }
        assert_eq!(history.items().count(), HISTORY_LIMIT);
        assert_eq!(history.items().next().map(String::as_str), Some("5"));
    }
}
