//! Property tests: parsers and the untrusted-bytes gate against generated input.

mod http;
mod sanitizer;
