//! TLS secrets for Wireshark, in the NSS key log format curl and browsers
//! write: `--keylog FILE`, or the `SSLKEYLOGFILE` environment variable as
//! they honour it. Whoever can read the file can decrypt the session, so it
//! is made readable by this user only and never followed through a symlink.

use std::io::Write as _;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// One key log line: `LABEL <client random hex> <secret hex>\n`.
pub fn nss_line(label: &str, client_random: &[u8], secret: &[u8]) -> String {
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    format!("{label} {} {}\n", hex(client_random), hex(secret))
}

/// Appends each secret to a file.
struct FileKeyLog {
    file: Mutex<std::fs::File>,
}

impl std::fmt::Debug for FileKeyLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FileKeyLog")
    }
}

impl rustls::KeyLog for FileKeyLog {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let line = nss_line(label, client_random, secret);
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        // A key log that cannot be written loses no traffic: the session
        // goes on (rustls's own KeyLogFile does the same).
        let _ = file.write_all(line.as_bytes());
    }
}

/// A key log appending to the regular file at `path`: made 0600, and an
/// existing one of this user's narrowed to 0600 (it holds secrets); a
/// symlink, a FIFO or a device is refused (none can make the handshake
/// wait).
pub fn to_file(path: &Path) -> Result<Arc<dyn rustls::KeyLog>, String> {
    let shown = crate::text::sanitize_str(&path.display().to_string());
    let file = crate::files::open_append_regular(path, false)
        .map_err(|reason| format!("cannot write the key log {shown}: {reason}"))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let private = std::fs::Permissions::from_mode(0o600);
        let wide = file
            .metadata()
            .is_ok_and(|meta| meta.permissions().mode() & 0o077 != 0);
        if wide {
            file.set_permissions(private)
                .map_err(|err| format!("cannot make the key log {shown} private (0600): {err}"))?;
        }
    }
    Ok(Arc::new(FileKeyLog {
        file: Mutex::new(file),
    }))
}

/// The key log asked for: `--keylog FILE`, else `SSLKEYLOGFILE` if set.
pub fn configured(keylog: Option<&Path>) -> Result<Option<Arc<dyn rustls::KeyLog>>, String> {
    if let Some(path) = keylog {
        return to_file(path).map(Some);
    }
    match std::env::var_os("SSLKEYLOGFILE") {
        Some(path) if !path.is_empty() => to_file(Path::new(&path)).map(Some),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_nss_format_and_the_file_is_private() {
        assert_eq!(
            nss_line("CLIENT_RANDOM", &[0xab, 1], &[2]),
            "CLIENT_RANDOM ab01 02\n"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.log");
        let log = to_file(&path).unwrap();
        log.log("CLIENT_TRAFFIC_SECRET_0", &[1; 32], &[2; 32]);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("CLIENT_TRAFFIC_SECRET_0 0101"), "{text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let link = dir.path().join("link.log");
            std::os::unix::fs::symlink(&path, &link).unwrap();
            assert!(to_file(&link).is_err(), "a symlink is not followed");
            // An existing file anyone may read is narrowed: it holds secrets.
            let wide = dir.path().join("wide.log");
            std::fs::write(&wide, "").unwrap();
            std::fs::set_permissions(&wide, std::fs::Permissions::from_mode(0o644)).unwrap();
            to_file(&wide).unwrap();
            let mode = std::fs::metadata(&wide).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            // A FIFO with no reader is refused at once, never waited on.
            let fifo = dir.path().join("keys.fifo");
            let made = std::process::Command::new("mkfifo").arg(&fifo).status();
            if made.is_ok_and(|status| status.success()) {
                let reason = to_file(&fifo).expect_err("a FIFO is refused");
                assert!(reason.contains("not a regular file"), "{reason}");
            }
        }
    }
}
