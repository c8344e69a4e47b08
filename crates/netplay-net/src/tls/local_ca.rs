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

use std::io::Write as _;
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
    let pem = read_private(&ca_path()?).ok()?;
    cert_der(&pem).ok()
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
        let load = || -> Result<Self, String> {
            let key_pem = read_private(&key_path)?;
            let cert_pem = read_private(&cert_path)?;
            let key = KeyPair::from_pem(&key_pem).map_err(|err| format!("{KEY_FILE}: {err}"))?;
            let der = cert_der(&cert_pem)?;
            let issuer =
                Issuer::from_ca_cert_der(&der, key).map_err(|err| format!("{CA_FILE}: {err}"))?;
            Ok(Self {
                path: cert_path.clone(),
                der,
                issuer,
            })
        };
        // Another netplay making the CA this very moment has written the
        // key and not yet the certificate: wait for it, briefly.
        let mut waited = 0;
        while std::fs::symlink_metadata(&cert_path).is_err() && waited < 100 {
            std::thread::sleep(std::time::Duration::from_millis(20));
            waited += 1;
        }
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
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let cert = params
        .self_signed(&key)
        .map_err(|err| format!("cannot sign the CA: {err}"))?;
    match write_new(dir, key_path, key.serialize_pem().as_bytes(), 0o600) {
        Ok(()) => {}
        // Another netplay made it first: use theirs.
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => return Ok(()),
        Err(err) => return Err(err.to_string()),
    }
    write_new(dir, cert_path, cert.pem().as_bytes(), 0o644).map_err(|err| err.to_string())
}

/// Writes `bytes` to a new file at `path` (mode `mode`), never over one.
fn write_new(dir: &Path, path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let mut temp = tempfile::NamedTempFile::new_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    temp.persist_noclobber(path)
        .map(|_| ())
        .map_err(|err| err.error)
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
