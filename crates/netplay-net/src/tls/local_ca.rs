//! netplay's own certificate authority, kept the way mkcert keeps one: made
//! on first need in netplay's data directory (`$XDG_DATA_HOME/netplay`, else
//! `~/.local/share/netplay`, mode 0700), its key readable by this user only
//! (0600), its certificate (`ca.pem`) for anyone to trust. Every `--tls`
//! server without `--cert` gets a leaf certificate signed by it, in memory:
//! nothing is written to the working directory, and two servers started in
//! one directory no longer replace each other's certificate. netplay's own
//! clients trust the CA automatically (and say so); `netplay ca path` names
//! the file for `curl --cacert`, `openssl s_client -CAfile` or Python's `ssl`.
//!
//! The files are made with `O_EXCL` through a temporary file and a rename
//! that never replaces (two netplays starting at once keep one CA), and read
//! without following a symbolic link.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The CA's certificate, in the data directory.
pub const CA_FILE: &str = "ca.pem";

/// The CA's private key, beside it (0600).
pub const KEY_FILE: &str = "ca-key.pem";

/// The largest CA file read back.
const FILE_LIMIT: u64 = 64 * 1024;

/// netplay's data directory: `$XDG_DATA_HOME/netplay`, else
/// `~/.local/share/netplay`.
pub fn data_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share"))
        })?;
    Some(base.join("netplay"))
}

/// Where the CA's certificate is (or will be).
pub fn ca_path() -> Option<PathBuf> {
    data_dir().map(|dir| dir.join(CA_FILE))
}

/// The CA: its certificate (file and DER) and what signs leaves.
pub struct LocalCa {
    path: PathBuf,
    der: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

impl std::fmt::Debug for LocalCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalCa").field("path", &self.path).finish()
    }
}

static CA: OnceLock<Mutex<Option<Arc<LocalCa>>>> = OnceLock::new();

/// The CA, loaded from the data directory or made there on first need;
/// once per process.
pub fn get_or_create() -> Result<Arc<LocalCa>, String> {
    let slot = CA.get_or_init(Mutex::default);
    let mut slot = slot
        .lock()
        .map_err(|_| "the local CA is poisoned".to_string())?;
    if let Some(ca) = slot.as_ref() {
        return Ok(Arc::clone(ca));
    }
    let dir = data_dir().ok_or(
        "no data directory for netplay's local CA (neither XDG_DATA_HOME nor HOME is set)",
    )?;
    let ca = Arc::new(LocalCa::load_or_create(&dir)?);
    *slot = Some(Arc::clone(&ca));
    Ok(ca)
}

/// The CA's certificate when it exists (never made here): what netplay's
/// own clients trust besides the usual roots.
pub fn existing_root() -> Option<CertificateDer<'static>> {
    if let Some(ca) = CA.get().and_then(|slot| slot.lock().ok()?.clone()) {
        return Some(ca.der.clone());
    }
    // The same checks as for a server: a `ca.pem` alone (no key that
    // matches it), or one in a directory others can write, is not trusted.
    let dir = data_dir()?;
    std::fs::symlink_metadata(dir.join(KEY_FILE)).ok()?;
    LocalCa::load(&dir).ok().map(|ca| ca.der)
}

impl LocalCa {
    /// Loads the CA in `dir`, or makes it there when it has none.
    pub fn load_or_create(dir: &Path) -> Result<Self, String> {
        let shown = crate::text::sanitize_str(&dir.display().to_string());
        let cert_path = dir.join(CA_FILE);
        let key_path = dir.join(KEY_FILE);
        if std::fs::symlink_metadata(&key_path).is_err() {
            make(dir, &key_path, &cert_path)
                .map_err(|err| format!("cannot make netplay's local CA in {shown}: {err}"))?;
        }
        // Another netplay making the CA this very moment has written the
        // key and not yet the certificate: wait for it, briefly.
        let mut waited = 0;
        while std::fs::symlink_metadata(&cert_path).is_err() && waited < 100 {
            std::thread::sleep(std::time::Duration::from_millis(20));
            waited += 1;
        }
        Self::load(dir)
    }

    /// Loads the CA in `dir` after checking it can be trusted: the
    /// directory and both files are this user's and writable by no one
    /// else, the files are regular (no link followed), and the key is the
    /// certificate's.
    fn load(dir: &Path) -> Result<Self, String> {
        let shown = crate::text::sanitize_str(&dir.display().to_string());
        let cert_path = dir.join(CA_FILE);
        let key_path = dir.join(KEY_FILE);
        let load = || -> Result<Self, String> {
            private_place(dir, "the directory")?;
            let key_pem = read_private(&key_path)?;
            let cert_pem = read_private(&cert_path)?;
            let key = KeyPair::from_pem(&key_pem).map_err(|err| format!("{KEY_FILE}: {err}"))?;
            let der = cert_der(&cert_pem)?;
            let (_, parsed) = x509_parser::parse_x509_certificate(&der)
                .map_err(|err| format!("{CA_FILE}: {err}"))?;
            if parsed
                .tbs_certificate
                .subject_pki
                .subject_public_key
                .data
                .as_ref()
                != key.public_key_raw()
            {
                return Err(format!("{KEY_FILE} is not the key of {CA_FILE}"));
            }
            let issuer =
                Issuer::from_ca_cert_der(&der, key).map_err(|err| format!("{CA_FILE}: {err}"))?;
            Ok(Self {
                path: cert_path.clone(),
                der,
                issuer,
            })
        };
        load().map_err(|err| {
            format!("netplay's local CA in {shown} cannot be used ({err}); remove {CA_FILE} and {KEY_FILE} there to make a new one")
        })
    }

    /// The CA's certificate file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The CA's certificate.
    pub fn certificate(&self) -> &CertificateDer<'static> {
        &self.der
    }

    /// A server certificate for `names` (DNS names or IP addresses), signed
    /// by the CA, with its key; made in memory.
    pub fn leaf(
        &self,
        names: &[String],
    ) -> Result<(CertificateDer<'static>, PrivateKeyDer<'static>), String> {
        let key = KeyPair::generate().map_err(|err| format!("cannot make a key: {err}"))?;
        let mut params = CertificateParams::new(names.to_vec())
            .map_err(|err| format!("cannot make a certificate: {err}"))?;
        params
            .distinguished_name
            .push(DnType::CommonName, "netplay local server");
        params.use_authority_key_identifier_extension = true;
        // A year and a month, under what browsers accept for a leaf (398 days).
        set_validity(&mut params, 395);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params
            .signed_by(&key, &self.issuer)
            .map_err(|err| format!("cannot sign the certificate: {err}"))?;
        Ok((
            cert.der().clone(),
            PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        ))
    }
}

/// Makes the key and the certificate in `dir` (0700): each written to a
/// temporary file and renamed into place without replacing anything, so a
/// netplay starting at the same moment keeps the first CA, not half of two.
fn make(dir: &Path, key_path: &Path, cert_path: &Path) -> Result<(), String> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|err| err.to_string())?;
    let key = KeyPair::generate().map_err(|err| format!("cannot make a key: {err}"))?;
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(|err| err.to_string())?;
    let user = std::env::var("USER").unwrap_or_default();
    let name = format!("netplay local CA {user}").trim_end().to_string();
    params.distinguished_name.push(DnType::CommonName, name);
    params
        .distinguished_name
        .push(DnType::OrganizationName, "netplay local development CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    // Ten years, as mkcert's: long enough to forget, not forever.
    set_validity(&mut params, 3650);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let cert = params
        .self_signed(&key)
        .map_err(|err| format!("cannot sign the CA: {err}"))?;
    match crate::files::create_new(key_path, key.serialize_pem().as_bytes(), 0o600) {
        Ok(()) => {}
        // Another netplay made it first: use theirs.
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => return Ok(()),
        Err(err) => return Err(err.to_string()),
    }
    crate::files::create_new(cert_path, cert.pem().as_bytes(), 0o644).map_err(|err| err.to_string())
}

/// Valid from yesterday (clocks differ a little) to `days` from now.
fn set_validity(params: &mut CertificateParams, days: i64) {
    use chrono::Datelike;
    let day = |offset: i64| {
        let date = (chrono::Utc::now() + chrono::Duration::days(offset)).date_naive();
        rcgen::date_time_ymd(date.year(), date.month() as u8, date.day() as u8)
    };
    params.not_before = day(-1);
    params.not_after = day(days);
}

/// Checks that `path` is this user's and writable by no one else (a CA in a
/// place others can write could be theirs).
fn private_place(path: &Path, what: &str) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::symlink_metadata(path).map_err(|err| format!("{what}: {err}"))?;
        let me = crate::files::my_uid().map_err(|err| format!("who am I: {err}"))?;
        if meta.uid() != me {
            return Err(format!("{what} belongs to another user"));
        }
        if meta.mode() & 0o022 != 0 {
            return Err(format!(
                "{what} is writable by others (mode {:o}; chmod go-w it)",
                meta.mode() & 0o7777
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = (path, what);
    Ok(())
}

/// Reads one of the CA's files: a regular file, never through a symbolic
/// link, never a FIFO (the open does not wait).
fn read_private(path: &Path) -> Result<String, String> {
    use std::io::Read;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut options,
        libc::O_NOFOLLOW | libc::O_NONBLOCK,
    );
    let file = options.open(path).map_err(|err| format!("{name}: {err}"))?;
    let meta = file.metadata().map_err(|err| format!("{name}: {err}"))?;
    if !meta.is_file() {
        return Err(format!("{name}: not a regular file"));
    }
    private_place(path, &name)?;
    let mut text = String::new();
    file.take(FILE_LIMIT)
        .read_to_string(&mut text)
        .map_err(|err| format!("{name}: {err}"))?;
    Ok(text)
}

fn cert_der(pem: &str) -> Result<CertificateDer<'static>, String> {
    use rustls::pki_types::pem::PemObject;
    CertificateDer::from_pem_slice(pem.as_bytes()).map_err(|err| format!("{CA_FILE}: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn private_dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        dir
    }

    #[test]
    fn a_ca_is_made_once_and_signs_leaves_for_the_names_given() {
        let dir = private_dir();
        let ca = LocalCa::load_or_create(dir.path()).unwrap();
        let again = LocalCa::load_or_create(dir.path()).unwrap();
        assert_eq!(ca.certificate(), again.certificate(), "the same CA");
        let (leaf, _) = ca.leaf(&["localhost".into(), "127.0.0.1".into()]).unwrap();
        let (_, parsed) = x509_parser::parse_x509_certificate(&leaf).unwrap();
        assert!(!parsed.is_ca(), "a leaf cannot sign");
    }

    #[test]
    #[cfg(unix)]
    fn a_ca_in_a_place_others_can_write_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = private_dir();
        LocalCa::load_or_create(dir.path()).unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let err = LocalCa::load_or_create(dir.path()).unwrap_err();
        assert!(err.contains("writable by others"), "{err}");
    }

    #[test]
    fn a_certificate_without_its_key_is_refused() {
        let dir = private_dir();
        LocalCa::load_or_create(dir.path()).unwrap();
        // Another CA's certificate planted beside this key.
        let other = private_dir();
        LocalCa::load_or_create(other.path()).unwrap();
        std::fs::remove_file(dir.path().join(CA_FILE)).unwrap();
        std::fs::copy(other.path().join(CA_FILE), dir.path().join(CA_FILE)).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let file = dir.path().join(CA_FILE);
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        let err = LocalCa::load_or_create(dir.path()).unwrap_err();
        assert!(err.contains("is not the key of"), "{err}");
    }
}
