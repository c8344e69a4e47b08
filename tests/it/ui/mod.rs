//! The UI driven through App with a TestBackend: keys in, screens out.

mod files;
mod help;
mod http_reach;
mod http_tab;
mod keys_page;
mod learning;
mod mouse;
mod record;
mod relay;
mod sizes;
mod state;
mod timed;
mod transcript;
mod udp_group;
mod udp_no_reply;
mod udp_self;
mod unix_tabs;
mod views;
