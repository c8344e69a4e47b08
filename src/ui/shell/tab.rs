//! The one interface every tab implements, so that the app, the tab bar,
//! the footer and the help reach each tab the same way (the `Component`
//! idea of gitui: one dispatch point). Engine events are the exception: each
//! tab folds its own typed events, routed by `App::on_engine`.

use crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::Frame;

use crate::net::Engine;
use crate::ui::Hint;

/// A tab's input: implemented where its key handling lives (`mod.rs`),
/// once — no forwarding twin.
pub trait TabInput {
    /// Handles a key; `true` when the tab used it.
    fn on_key(&mut self, key: KeyEvent, engine: &Engine) -> bool;
    /// Handles pasted text (bracketed paste): in the tab's own overlay when
    /// one is open (a prompt, an editor; dropped by a view), else in the
    /// focused field.
    fn on_paste(&mut self, text: &str);
    /// The keys worth showing in the footer now (they depend on focus).
    fn hints(&self) -> Vec<Hint>;
    /// Puts the keyboard on the tab's first field (Alt+N).
    fn focus_first(&mut self);
    /// Whether a text field has the keyboard (single-letter keys type).
    fn typing(&self) -> bool;
    /// Moves the keyboard to the next field (Tab) or the previous one
    /// (Shift+Tab): every tab's fields, one global binding.
    fn focus_step(&mut self, forward: bool);
}

/// What the app needs to know of a tab at a glance.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TabState {
    /// Something live (listening, connected, a request in flight, a bound
    /// socket): the tab bar marks it with a dot.
    pub active: bool,
    /// The screen changes with time alone (connection ages, a passing
    /// word, a reconnect due): the loop's once-a-second tick is needed.
    pub ticking: bool,
    /// An overlay of the tab's own is open (the kernel's view, an editor,
    /// a prompt) and takes every key but Ctrl+C.
    pub overlay: bool,
}

/// What a tab keeps between runs (the remembered state).
pub trait Remembered {
    /// Keeps what the next run should start with: addresses, modes, line
    /// endings, histories (the remembered state).
    fn remember(&self, memory: &mut crate::state::Memory);
    /// Takes back what [`Remembered::remember`] kept.
    fn restore(&mut self, memory: &crate::state::Memory);
}

/// A tab's drawing: implemented where it draws (`view.rs`).
pub trait TabDraw {
    /// Draws the tab into `area`.
    fn render(&mut self, frame: &mut Frame, area: Rect);
}

/// A tab of the terminal UI: its input and drawing (the two traits above,
/// each implemented once where that code lives) and what the app asks of
/// every tab besides.
pub trait TabView: TabInput + TabDraw + Remembered {
    /// What the app needs to know of the tab now.
    fn state(&self) -> TabState;
    /// Every key of the tab, for the help overlay.
    fn help(&self) -> Vec<Hint>;
    /// The once-a-second tick (while [`TabView::needs_tick`]): time-driven
    /// work such as a reconnect that is due.
    fn on_tick(&mut self, _engine: &Engine) {}
    /// The field that says where the tab listens or binds, and whether it
    /// is locked (the socket is live), for the address picker (Ctrl+L).
    fn listen_field(&mut self) -> Option<(&mut crate::ui::widgets::input::InputField, bool)> {
        None
    }
    /// A left click on a screen cell inside the tab: focus what is there,
    /// select the table row under it.
    fn click(&mut self, _column: u16, _row: u16) {}
    /// The keys one wheel notch over a screen cell stands for (focusing
    /// the pane under it): the tab's mouse map says; none by default.
    fn wheel_keys(&mut self, _column: u16, _row: u16, _down: bool) -> Vec<KeyEvent> {
        Vec::new()
    }
    /// The wheel over a screen cell: scroll the pane (or move the table
    /// selection) under it, `down` or up — its keys, handled as if typed.
    fn wheel(&mut self, column: u16, row: u16, down: bool, engine: &Engine) {
        for key in self.wheel_keys(column, row, down) {
            self.on_key(key, engine);
        }
    }
    /// What the tab is set to do, for the Code overlay (F12).
    fn code_setting(&self) -> crate::code::Setting;
    /// Opens the kernel's view of the selected connection (Ctrl+O); the
    /// tab says why not when it cannot.
    fn open_kernel_view(&mut self) {}
}
