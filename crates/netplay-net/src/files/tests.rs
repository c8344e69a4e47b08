use std::os::unix::fs::PermissionsExt;

use super::*;

#[test]
fn a_fifo_or_a_device_is_refused_without_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|status| status.success()) {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    // On a thread, so a regression fails the test instead of hanging it.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send((
            read_regular(&fifo, 1024),
            read_regular(Path::new("/dev/zero"), 1024),
        ));
    });
    let (from_fifo, from_device) = rx
        .recv_timeout(std::time::Duration::from_secs(5))
        .expect("reading a FIFO blocked");
    assert_eq!(from_fifo.unwrap_err(), "not a regular file");
    assert_eq!(from_device.unwrap_err(), "not a regular file");
}

#[test]
fn a_file_is_cut_after_each_newline_and_keeps_every_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lines.txt");
    std::fs::write(&path, b"one\r\ntwo\n\nlast without end").unwrap();
    let lines = pieces(&path, true, 1024).unwrap();
    assert_eq!(lines.total(), 4);
    let cut: Vec<Vec<u8>> = lines.collect();
    assert_eq!(cut, [&b"one\r\n"[..], b"two\n", b"\n", b"last without end"]);
    assert_eq!(cut.concat(), std::fs::read(&path).unwrap());
    let whole = pieces(&path, false, 1024).unwrap();
    assert_eq!((whole.total(), whole.clone().count()), (1, 1));
    std::fs::write(&path, b"a\nb\n").unwrap();
    let ended = pieces(&path, true, 1024).unwrap();
    assert_eq!((ended.total(), ended.clone().count()), (2, 2));
    assert!(pieces(&path, true, 3).unwrap_err().contains("larger than"));
    std::fs::write(&path, b"").unwrap();
    assert!(pieces(&path, true, 1024).unwrap_err().contains("empty"));
    assert!(pieces(dir.path(), true, 1024)
        .unwrap_err()
        .contains("not a regular file"));
}

#[test]
fn saves_never_clobber_and_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let first = save_new(dir.path(), "index.html", |f| f.write_all(b"one")).unwrap();
    let second = save_new(dir.path(), "index.html", |f| f.write_all(b"two")).unwrap();
    assert_eq!(first, dir.path().join("index.html"));
    assert_eq!(second, dir.path().join("index-1.html"));
    assert_eq!(std::fs::read(&first).unwrap(), b"one");
    let mode = std::fs::metadata(&second).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "not readable by others: {mode:o}");
}

#[test]
fn a_planted_symlink_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim");
    std::fs::write(&victim, b"precious").unwrap();
    std::os::unix::fs::symlink(&victim, dir.path().join("index.html")).unwrap();
    std::os::unix::fs::symlink(&victim, dir.path().join(".index.html.netplay-partial")).unwrap();
    let saved = save_new(dir.path(), "index.html", |f| f.write_all(b"new")).unwrap();
    assert_eq!(saved, dir.path().join("index-1.html"));
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
}

#[test]
#[cfg(unix)]
fn appends_refuse_planted_links_and_fifos_without_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, b"precious").unwrap();
    let link = dir.path().join("netplay.http");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let refused = append_regular(&link, b"GET /\n", false).unwrap_err();
    assert!(refused.contains("symbolic link"), "{refused}");
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    // The user's own file behind a link: followed when asked.
    append_regular(&link, b"+", true).unwrap();
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious+");
    let fifo = dir.path().join("fifo.http");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        for follow in [false, true] {
            let refused = append_regular(&fifo, b"x", follow).unwrap_err();
            assert!(refused.contains("not a regular file"), "{refused}");
        }
    }
    // A hard link planted at the name: refused, the other name untouched.
    let other = dir.path().join("elsewhere");
    std::fs::write(&other, b"theirs").unwrap();
    let linked = dir.path().join("linked.http");
    std::fs::hard_link(&other, &linked).unwrap();
    let refused = append_regular(&linked, b"GET /\n", false).unwrap_err();
    assert!(refused.contains("hard link"), "{refused}");
    assert_eq!(std::fs::read(&other).unwrap(), b"theirs");
    let fresh = dir.path().join("new.http");
    append_regular(&fresh, b"a", false).unwrap();
    append_regular(&fresh, b"b", false).unwrap();
    assert_eq!(std::fs::read(&fresh).unwrap(), b"ab");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn a_failed_save_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let failed = save_new(dir.path(), "x.txt", |_| {
        Err(std::io::Error::other("disk full"))
    });
    assert!(failed.is_err());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn replacing_keeps_the_old_file_until_finished() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("page.html");
    std::fs::write(&target, b"old").unwrap();
    let mut unfinished = Replacing::create(&target).unwrap();
    unfinished.file().write_all(b"half").unwrap();
    drop(unfinished);
    assert_eq!(std::fs::read(&target).unwrap(), b"old");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    let mut done = Replacing::create(&target).unwrap();
    done.file().write_all(b"new").unwrap();
    done.finish().unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"new");
    let missing = Replacing::create(&dir.path().join("missing/dir/x"));
    assert!(missing.unwrap_err().contains("missing/dir"));
}

#[test]
fn replacing_writes_devices_in_place_keeps_modes_and_refuses_links_to_files() {
    let dir = tempfile::tempdir().unwrap();
    // /dev/null stays a device: written in place, never replaced.
    let mut null = Replacing::create(Path::new("/dev/null")).unwrap();
    null.file().write_all(b"gone").unwrap();
    null.finish().unwrap();
    assert!(!std::fs::metadata("/dev/null").unwrap().is_file());
    // An executable keeps its mode.
    let script = dir.path().join("run.sh");
    std::fs::write(&script, b"old").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut new = Replacing::create(&script).unwrap();
    new.file().write_all(b"new").unwrap();
    new.finish().unwrap();
    let mode = std::fs::metadata(&script).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o755);
    // A link to a file (planted, perhaps): refused, the file untouched.
    let real = dir.path().join("real.txt");
    std::fs::write(&real, b"old").unwrap();
    let link = dir.path().join("link.txt");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let refused = Replacing::create(&link).unwrap_err();
    assert!(refused.contains("symbolic link to a file"), "{refused}");
    assert_eq!(std::fs::read(&real).unwrap(), b"old");
    // A link to a device (as /dev/stdout is) is written through.
    let to_null = dir.path().join("null");
    std::os::unix::fs::symlink("/dev/null", &to_null).unwrap();
    let mut null = Replacing::create(&to_null).unwrap();
    null.file().write_all(b"gone").unwrap();
    null.finish().unwrap();
    // A FIFO no one reads: refused at once, not waited on.
    let fifo = dir.path().join("fifo");
    if std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success())
    {
        let refused = Replacing::create(&fifo).unwrap_err();
        assert!(refused.contains("no one reads"), "{refused}");
    }
    // A new file: 0666 less the umask, not 0600.
    let fresh = dir.path().join("fresh.txt");
    let mut created = Replacing::create(&fresh).unwrap();
    created.file().write_all(b"x").unwrap();
    created.finish().unwrap();
    let mode = std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777;
    if let Some(expected) = new_file_mode() {
        assert_eq!(mode, expected.mode() & 0o777);
    }
}

#[test]
fn long_names_are_shortened_on_a_character_boundary() {
    let long = format!("{}.html", "é".repeat(300));
    let short = shorten(&long, 12);
    assert!(short.len() <= MAX_NAME - 12);
    assert!(short.ends_with(".html"));
    let dir = tempfile::tempdir().unwrap();
    let saved = save_new(dir.path(), &long, |f| f.write_all(b"x")).unwrap();
    assert!(saved.file_name().unwrap().len() <= MAX_NAME);
}

#[test]
fn the_private_dir_is_private_and_goes_away() {
    let dir = PrivateDir::create().unwrap();
    let path = dir.path().to_path_buf();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "{mode:o}");
    let file = dir.file().unwrap();
    let mode = file.as_file().metadata().unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "{mode:o}");
    drop(file);
    drop(dir);
    assert!(!path.exists());
}
