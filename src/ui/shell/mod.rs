//! The frame every tab lives in: the event loop, the app's state and its
//! overlays, the tab bar and footer, help, key tables, the mouse, the theme,
//! the tab trait, the remembered state and the terminal's set-up and restore.

pub mod app;
pub mod event_loop;
pub mod frame;
pub mod global_keys;
pub mod help;
pub mod keys;
pub mod mouse;
pub mod remembered;
pub mod tab;
pub mod terminal;
pub mod theme;
