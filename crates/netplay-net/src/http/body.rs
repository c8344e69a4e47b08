//! Where a response body goes while it streams in: a bounded preview in
//! memory, the whole body in a spool file on disk (so any size keeps memory
//! flat and can be saved afterwards), and — for gzip or deflate — a bounded
//! decoded preview with the exact decoded size.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::files::{PrivateDir, Replacing};

/// Bytes of the body (raw and decoded) kept in memory for display.
pub const BODY_PREVIEW: usize = 64 * 1024;

/// A body on disk: a temporary spool in the engine's private directory
/// (mode 0600; removed when the last holder drops it), or the file the
/// user named.
#[derive(Debug)]
pub struct Spool {
    path: PathBuf,
    /// Removes the spool file when dropped; `None` for the user's file.
    _temp: Option<tempfile::TempPath>,
    /// Keeps the private directory alive while a spool is in it.
    _dir: Option<Arc<PrivateDir>>,
}

impl Spool {
    /// Where the body is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// What was received of a body.
#[derive(Debug, Clone)]
pub struct BodySummary {
    /// Body bytes received (after de-chunking, before decoding).
    pub size: u64,
    /// The first [`BODY_PREVIEW`] bytes as received.
    pub preview: Vec<u8>,
    /// The decoded view, when the body had a Content-Encoding netplay decodes.
    pub decoded: Option<Decoded>,
    /// The whole body on disk, for saving.
    pub spool: Option<Arc<Spool>>,
    /// Why there is no spool file, if there is none.
    pub spool_error: Option<String>,
}

/// A decoded (decompressed) view of a body.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// `gzip` or `deflate`.
    pub encoding: String,
    /// Decoded bytes produced: exact when `complete`, else how far
    /// decoding went before it stopped.
    pub size: u64,
    /// The first [`BODY_PREVIEW`] decoded bytes.
    pub preview: Vec<u8>,
    /// Why decoding failed, if it did.
    pub error: Option<String>,
    /// False when decoding stopped once the preview was full: decoding is
    /// for display, and a compression bomb (a few KiB that inflate to
    /// gigabytes) must not cost more than one preview's worth of CPU. The
    /// body itself is always kept exactly as received.
    pub complete: bool,
}

/// Keeps the first [`BODY_PREVIEW`] decoded bytes; once they are there it
/// refuses more, which stops the decoder at once.
#[derive(Debug, Default)]
struct PreviewSink {
    kept: Vec<u8>,
    total: u64,
    full: bool,
}

impl Write for PreviewSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let room = BODY_PREVIEW.saturating_sub(self.kept.len());
        if room == 0 {
            self.full = true;
            return Err(std::io::Error::other("decoded preview full"));
        }
        let take = room.min(buf.len());
        self.kept.extend_from_slice(&buf[..take]);
        self.total += take as u64;
        Ok(take)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

enum Decoder {
    Gzip(flate2::write::MultiGzDecoder<PreviewSink>),
    Deflate(flate2::write::ZlibDecoder<PreviewSink>),
}

/// Collects a body as it streams.
pub struct BodyCollector {
    size: u64,
    preview: Vec<u8>,
    decoder: Option<(String, Decoder)>,
    /// The decoded view, once decoding stopped at a full preview.
    decoded_early: Option<Decoded>,
    decode_error: Option<String>,
    spool: Option<(std::fs::File, Arc<Spool>)>,
    /// The user's file (`fetch -o`), written beside its final name and put
    /// in place only when the body is complete.
    target: Option<Replacing>,
    spool_error: Option<String>,
}

/// Where a collector writes the whole body.
pub enum BodyFile {
    /// A new spool file in this private directory.
    Spool(Arc<PrivateDir>),
    /// The user's file.
    Target(Replacing),
    /// Nowhere: the body goes elsewhere.
    None,
    /// Nowhere, because the spool could not be made: why.
    Unavailable(String),
}

impl BodyCollector {
    /// A collector for a body with this `Content-Encoding` (if any),
    /// writing the whole body to `file`.
    pub fn new(content_encoding: Option<&str>, file: BodyFile) -> Self {
        let mut collector = Self::preview_only(content_encoding);
        match file {
            BodyFile::Spool(dir) => match dir.file() {
                Ok(temp) => {
                    let (file, path) = temp.into_parts();
                    collector.spool = Some((
                        file,
                        Arc::new(Spool {
                            path: path.to_path_buf(),
                            _temp: Some(path),
                            _dir: Some(dir),
                        }),
                    ));
                }
                Err(reason) => collector.spool_error = Some(reason),
            },
            BodyFile::Target(target) => collector.target = Some(target),
            BodyFile::None => {}
            BodyFile::Unavailable(reason) => collector.spool_error = Some(reason),
        }
        collector
    }

    /// A collector that keeps only the previews (the body goes elsewhere).
    pub fn preview_only(content_encoding: Option<&str>) -> Self {
        let encoding = content_encoding.map(|e| e.trim().to_ascii_lowercase());
        let decoder = match encoding.as_deref() {
            Some("gzip" | "x-gzip") => Some((
                "gzip".to_string(),
                Decoder::Gzip(flate2::write::MultiGzDecoder::new(PreviewSink::default())),
            )),
            Some("deflate") => Some((
                "deflate".to_string(),
                Decoder::Deflate(flate2::write::ZlibDecoder::new(PreviewSink::default())),
            )),
            _ => None,
        };
        Self {
            size: 0,
            preview: Vec::new(),
            decoder,
            decoded_early: None,
            decode_error: None,
            spool: None,
            target: None,
            spool_error: None,
        }
    }

    /// Takes the next piece of the body. Disk writes are small sequential
    /// appends to a local file; the fetch task calls this between reads.
    pub fn push(&mut self, piece: &[u8]) {
        self.size += piece.len() as u64;
        let room = BODY_PREVIEW.saturating_sub(self.preview.len());
        self.preview
            .extend_from_slice(&piece[..room.min(piece.len())]);
        if let Some((file, _)) = &mut self.spool {
            if let Err(err) = file.write_all(piece) {
                self.spool_error = Some(format!("writing the spool file failed: {err}"));
                self.spool = None;
            }
        }
        if let Some(target) = &mut self.target {
            let written = if target.is_terminal() {
                target.file().write_all(&crate::text::for_terminal(piece))
            } else {
                target.file().write_all(piece)
            };
            if let Err(err) = written {
                self.spool_error =
                    Some(format!("cannot write {}: {err}", target.target().display()));
                self.target = None;
            }
        }
        if self.decode_error.is_none() {
            if let Some((_, decoder)) = &mut self.decoder {
                let result = match decoder {
                    Decoder::Gzip(d) => d.write_all(piece),
                    Decoder::Deflate(d) => d.write_all(piece),
                };
                let full = match decoder {
                    Decoder::Gzip(d) => d.get_ref().full,
                    Decoder::Deflate(d) => d.get_ref().full,
                };
                if full {
                    self.stop_decoding();
                } else if let Err(err) = result {
                    self.decode_error = Some(format!("decoding failed: {err}"));
                }
            }
        }
    }

    /// The preview is full: keep what was decoded, drop the decoder.
    fn stop_decoding(&mut self) {
        if let Some((encoding, mut decoder)) = self.decoder.take() {
            let sink = std::mem::take(match &mut decoder {
                Decoder::Gzip(d) => d.get_mut(),
                Decoder::Deflate(d) => d.get_mut(),
            });
            self.decoded_early = Some(Decoded {
                encoding,
                size: sink.total,
                preview: sink.kept,
                error: None,
                complete: false,
            });
        }
    }

    /// Body bytes so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Finishes: flushes the spool and the decoder. The user's file takes
    /// its final name only when `complete`; an incomplete body is removed
    /// and a file that was there before stays as it was.
    pub fn finish(mut self, complete: bool) -> BodySummary {
        let mut saved_as = None;
        if let Some(target) = self.target.take() {
            if complete {
                match target.finish() {
                    Ok(path) => saved_as = Some(path),
                    Err(reason) => self.spool_error = Some(reason),
                }
            }
        }
        if let Some((file, _)) = &mut self.spool {
            if let Err(err) = file.flush() {
                self.spool_error = Some(format!("writing the spool file failed: {err}"));
                self.spool = None;
            }
        }
        let early = self.decoded_early.take();
        let decoded = self.decoder.take().map(|(encoding, decoder)| {
            let (sink, error) = match decoder {
                Decoder::Gzip(d) => match d.finish() {
                    Ok(sink) => (sink, None),
                    Err(err) => (PreviewSink::default(), Some(err.to_string())),
                },
                Decoder::Deflate(d) => match d.finish() {
                    Ok(sink) => (sink, None),
                    Err(err) => (PreviewSink::default(), Some(err.to_string())),
                },
            };
            Decoded {
                encoding,
                size: sink.total,
                preview: sink.kept,
                error: self.decode_error.clone().or(error),
                complete: true,
            }
        });
        let decoded = early.or(decoded);
        BodySummary {
            size: self.size,
            preview: self.preview,
            decoded,
            spool: self.spool.map(|(_, spool)| spool).or_else(|| {
                saved_as.map(|path| {
                    Arc::new(Spool {
                        path,
                        _temp: None,
                        _dir: None,
                    })
                })
            }),
            spool_error: self.spool_error,
        }
    }
}

/// Copies a spooled body to a new file `name` in `dir`, never replacing
/// anything (see [`crate::files::save_new`]). Returns the final path.
pub fn save_spool(spool: &Spool, dir: &Path, name: &str) -> Result<PathBuf, String> {
    crate::files::save_new(dir, name, |file| {
        let mut source = std::fs::File::open(spool.path())?;
        std::io::copy(&mut source, file).map(|_| ())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;

    fn spooled(encoding: Option<&str>) -> (BodyCollector, Arc<PrivateDir>) {
        let dir = Arc::new(PrivateDir::create().unwrap());
        (
            BodyCollector::new(encoding, BodyFile::Spool(Arc::clone(&dir))),
            dir,
        )
    }

    #[test]
    fn preview_is_bounded_and_size_exact() {
        let (mut body, dir) = spooled(None);
        for _ in 0..100 {
            body.push(&[b'x'; 4096]);
        }
        let summary = body.finish(true);
        assert_eq!(summary.size, 409_600);
        assert_eq!(summary.preview.len(), BODY_PREVIEW);
        let spool = summary.spool.expect("spooled");
        assert_eq!(std::fs::metadata(spool.path()).unwrap().len(), 409_600);
        let path = spool.path().to_path_buf();
        let dir_path = dir.path().to_path_buf();
        drop(spool);
        assert!(!path.exists(), "spool removed when dropped");
        drop(dir);
        assert!(
            !dir_path.exists(),
            "private directory removed with its last spool"
        );
    }

    #[test]
    fn gzip_is_decoded_for_the_preview() {
        let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(&b"hello gzip ".repeat(1000)).unwrap();
        let compressed = encoder.finish().unwrap();
        let (mut body, _dir) = spooled(Some("gzip"));
        for piece in compressed.chunks(7) {
            body.push(piece);
        }
        let summary = body.finish(true);
        let decoded = summary.decoded.unwrap();
        assert_eq!(decoded.size, 11_000);
        assert!(decoded.preview.starts_with(b"hello gzip hello"));
        assert_eq!(summary.size, compressed.len() as u64);
        assert!(decoded.error.is_none());
    }

    #[test]
    fn save_never_overwrites() {
        let saves = tempfile::tempdir().unwrap();
        let dir = saves.path().to_path_buf();
        let (mut body, _spools) = spooled(None);
        body.push(b"<html>");
        let summary = body.finish(true);
        let spool = summary.spool.unwrap();
        let first = save_spool(&spool, &dir, "index.html").unwrap();
        let second = save_spool(&spool, &dir, "index.html").unwrap();
        assert_eq!(first.file_name().unwrap(), "index.html");
        assert_eq!(second.file_name().unwrap(), "index-1.html");
        assert_eq!(std::fs::read(&second).unwrap(), b"<html>");
    }
}
