//! Files and folders the server writes: readable by its own user only (0600 files, 0700
//! folders), since they hold password-reset links, sealed keys and every account.
//!
//! The binary also narrows its umask at start-up, so that files written by libraries (SQLite's
//! journal, lettre's `.eml` files) are private too; these functions make the same guarantee for
//! programs that embed `auth-core` without doing that.

use std::io;
use std::path::Path;

#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};

/// Mode of files the server writes.
pub const FILE_MODE: u32 = 0o600;
/// Mode of folders the server creates.
pub const FOLDER_MODE: u32 = 0o700;

/// Creates `path` and its missing parents as private folders; an existing folder is kept as
/// it is (the operator chose its mode).
pub fn create_private_folder(path: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    builder.mode(FOLDER_MODE);
    builder.create(path)
}

/// Creates `path` as an empty private file if it does not exist; an existing file is left
/// alone. SQLite then opens it, and gives its WAL and shared-memory files the same mode.
pub fn create_private_file(path: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    options.mode(FILE_MODE);
    options.open(path).map(drop)
}

/// Narrows the mode of a file another library wrote to [`FILE_MODE`].
pub fn make_private(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(FILE_MODE))?;
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[cfg(unix)]
    #[test]
    fn created_files_and_folders_are_private_whatever_the_umask() {
        let root = std::env::temp_dir().join(format!("auth-files-{}", std::process::id()));
        let folder = root.join("a/b");
        create_private_folder(&folder).unwrap();
        assert_eq!(mode(&root.join("a")), FOLDER_MODE);
        assert_eq!(mode(&folder), FOLDER_MODE);
        let file = folder.join("db");
        create_private_file(&file).unwrap();
        assert_eq!(mode(&file), FILE_MODE);
        std::fs::write(&file, b"kept").unwrap();
        create_private_file(&file).unwrap();
        assert_eq!(
            std::fs::read(&file).unwrap(),
            b"kept",
            "an existing file is not truncated"
        );
        let other = folder.join("mail.eml");
        std::fs::write(&other, b"x").unwrap();
        std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o644)).unwrap();
        make_private(&other).unwrap();
        assert_eq!(mode(&other), FILE_MODE);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
