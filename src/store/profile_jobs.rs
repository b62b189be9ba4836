//! Runs a [`ProfileJob`] against the profile file: read, change and write
//! back atomically under the file's lock ([`ProfileStore::update`]), so an
//! edit another program made meanwhile is kept. The worker runs these for
//! the console, off the I/O threads.

use crate::model::profile::ProfileTree;
use crate::model::profile_edit::ProfileJob;

use super::profiles::{ProfileStore, StoreError};

/// The tree as saved and what the job reports, line by line; or why it
/// failed, in words.
pub fn run(store: &ProfileStore, job: &ProfileJob) -> Result<(ProfileTree, Vec<String>), String> {
    let invalid = |origin: String, message: String| StoreError::Invalid { origin, message };
    let words = |e: StoreError| match e {
        StoreError::Invalid { message, .. } => message,
        other => other.to_string(),
    };
    match job {
        ProfileJob::Update(edit) => store
            .update(|tree| {
                edit.apply(tree)
                    .map_err(|m| invalid(store.path().display().to_string(), m))
            })
            .map(|t| (t, Vec::new()))
            .map_err(words),
        ProfileJob::Tree(edit) => {
            let mut line = String::new();
            let tree = store
                .update(|tree| {
                    line = edit
                        .apply(tree)
                        .map_err(|m| invalid(store.path().display().to_string(), m))?;
                    Ok(())
                })
                .map_err(words)?;
            Ok((tree, vec![line]))
        }
        ProfileJob::Import { node, path } => {
            let bytes = super::import::read_import_file(path)?;
            let mut lines = Vec::new();
            let tree = store
                .update(|tree| {
                    lines = super::import::import_into(
                        tree,
                        Some(*node),
                        path,
                        &bytes,
                        None,
                        "Imported",
                    )
                    .map_err(|m| invalid(path.display().to_string(), m))?;
                    Ok(())
                })
                .map_err(|e| e.to_string())?;
            Ok((tree, lines))
        }
        ProfileJob::Export { node, path } => {
            let tree = store.load().map_err(|e| e.to_string())?.tree;
            let text = super::profiles::export(&tree, Some(*node)).map_err(|e| e.to_string())?;
            super::profiles::write_atomic(path, text.as_bytes())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Ok((
                tree,
                vec![format!(
                    "Exported to {} ({} bytes, no passwords)",
                    path.display(),
                    text.len()
                )],
            ))
        }
        ProfileJob::MakeImportedSafe { added } => {
            let mut lines = Vec::new();
            let tree = store
                .update(|tree| {
                    lines = super::import::make_imported_safe(tree, added);
                    Ok(())
                })
                .map_err(|e| e.to_string())?;
            Ok((tree, lines))
        }
    }
}
