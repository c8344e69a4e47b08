//! Pieces more than one tab uses: inputs and pickers, the composer and
//! console, the log view and its follow mode, history, the timeline, the
//! kernel view, recording and rules editors, timed sends and the code view.

pub mod address_picker;
pub mod capture;
pub mod code_view;
pub mod composer;
pub mod console;
pub mod follow;
pub mod history;
pub mod input;
pub mod kernel;
pub mod log_view;
pub mod recording;
pub mod rules_editor;
pub mod timed_send;
pub mod timeline;
