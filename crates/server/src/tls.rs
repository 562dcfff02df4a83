//! HTTPS: a given certificate and key, or a self-signed pair created at first start and kept in the data dir
//! (so clients can trust it once).

use crate::config::TlsConfig;
use anyhow::Context;
use std::path::{Path, PathBuf};

/// The certificate and key files to serve with.
pub fn certificate(data_dir: &Path, tls: &TlsConfig) -> anyhow::Result<(PathBuf, PathBuf)> {
    // rustls needs one process-wide crypto provider; another part of the process may have set it already.
    let _ = rustls::crypto::ring::default_provider().install_default();
    match (&tls.cert, &tls.key) {
        (Some(cert), Some(key)) => Ok((cert.clone(), key.clone())),
        (None, None) => self_signed(data_dir),
        _ => anyhow::bail!("--tls-cert and --tls-key go together"),
    }
}

fn self_signed(data_dir: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    let dir = data_dir.join("tls");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    if cert.exists() && key.exists() {
        return Ok((cert, key));
    }
    std::fs::create_dir_all(&dir)?;
    let names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    let generated =
        rcgen::generate_simple_self_signed(names).context("creating a self-signed certificate")?;
    std::fs::write(&cert, generated.cert.pem())?;
    crate::private_file::write_private_file_atomically(&key, &generated.key_pair.serialize_pem())?;
    Ok((cert, key))
}
