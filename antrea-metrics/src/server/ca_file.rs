//! Writing the self-signed CA for Prometheus' `tls_config.ca_file`, creating missing folders.

use crate::{Error, Result};
use std::path::Path;

const FIELD: &str = "self-signed CA output";

/// Writes `pem` to `path`. Missing parent folders are created with mode 0755 (readable by a
/// Prometheus running as another user), so a fresh machine needs no `mkdir` first; a folder
/// that cannot be created is named in the error.
pub(crate) fn write(path: &Path, pem: &str) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_folders(parent)?;
    }
    std::fs::write(path, pem).map_err(|source| Error::WriteFile {
        field: FIELD,
        path: path.to_owned(),
        source,
    })
}

/// Creates `dir` and its missing ancestors, outermost first, each with mode 0755.
fn create_folders(dir: &Path) -> Result<()> {
    let missing: Vec<&Path> = dir
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
        .collect();
    for d in missing.into_iter().rev() {
        create_folder(d).map_err(|source| Error::CreateFolder {
            field: FIELD,
            folder: d.to_owned(),
            source,
        })?;
    }
    Ok(())
}

#[cfg(unix)]
fn create_folder(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    match std::fs::DirBuilder::new().mode(0o755).create(dir) {
        // Another process created it in between: fine, it exists.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        // The umask may have narrowed the mode; set it exactly.
        Ok(()) => std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)),
        Err(e) => Err(e),
    }
}

#[cfg(not(unix))]
fn create_folder(dir: &Path) -> std::io::Result<()> {
    match std::fs::create_dir(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_folders_are_created_with_mode_0755() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let path = tmp.path().join("run/antrea-metrics/ca.crt");
        write(&path, "PEM").expect("write");
        assert_eq!(std::fs::read_to_string(&path).expect("read back"), "PEM");
        #[cfg(unix)]
        for dir in ["run", "run/antrea-metrics"] {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(tmp.path().join(dir)).expect("stat");
            assert_eq!(mode.permissions().mode() & 0o777, 0o755, "{dir}");
        }
    }

    #[test]
    fn a_folder_that_cannot_be_created_is_named() {
        let tmp = tempfile::tempdir().expect("temp dir");
        // A regular file where a folder is needed.
        std::fs::write(tmp.path().join("blocker"), "").expect("file");
        let folder = tmp.path().join("blocker/sub");
        let err = write(&folder.join("ca.crt"), "PEM").expect_err("must fail");
        assert!(
            matches!(&err, Error::CreateFolder { folder: f, .. } if *f == folder),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(text.contains(&folder.display().to_string()), "{text}");
    }

    #[test]
    fn a_bare_file_name_needs_no_folder() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let path = tmp.path().join("ca.crt");
        write(&path, "PEM").expect("write");
        assert!(path.is_file());
    }
}
