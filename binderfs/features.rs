// SPDX-License-Identifier: GPL-2.0

//! `features/`: read-only files telling user space which optional parts of
//! the binder protocol this driver has, each reading `1\n` as in 6.12.

use super::{create_dir, BinderFs, Node, FEATURE_FOPS, INODE_OFFSET, MAX_MINOR};
use crate::ffi::file::{File, FileOperations, Seek};
use crate::ffi::fs::{Ino, InodeKind, InodeSpec, SuperBlock};
use core::marker::PhantomData;
use kernel::alloc::flags::GFP_KERNEL;
use kernel::error::{code::*, Result};
use kernel::sync::{Arc, ArcBorrow};
use kernel::uaccess::UserSliceWriter;

/// The feature files and their contents.
const FEATURES: [(&[u8], &[u8]); 3] = [
    (b"oneway_spam_detection", b"1\n"),
    (b"extended_error", b"1\n"),
    (b"freeze_notification", b"1\n"),
];

/// Creates `features/` and its files in the root of `sb`.
pub(super) fn create(sb: &SuperBlock<BinderFs>) -> Result {
    create_dir(sb.root(), b"features")?;
    let dir = sb.root().child(b"features")?;
    for (name, contents) in FEATURES {
        let spec = InodeSpec {
            ino: Ino::Unique(MAX_MINOR as u64 + INODE_OFFSET),
            kind: InodeKind::file(&FEATURE_FOPS),
            perm: 0o444,
            owner: None,
            _p: PhantomData,
        };
        let node = Arc::new(Node::Constant(contents), GFP_KERNEL)?;
        dir.create_child(name, sb.new_inode(spec, Some(node))?)?;
    }
    Ok(())
}

/// A file with constant contents.
pub(crate) struct FeatureFile;

impl FileOperations for FeatureFile {
    type Fs = BinderFs;
    type Data = Arc<Node>;
    const SEEK: Seek = Seek::Default;
    const HAS_READ: bool = true;

    fn open(node: Option<ArcBorrow<'_, Node>>, _file: &File<BinderFs>) -> Result<Arc<Node>> {
        node.map(Arc::from).ok_or(ENODEV)
    }

    fn read(
        node: ArcBorrow<'_, Node>,
        _file: &File<BinderFs>,
        mut buf: UserSliceWriter,
        pos: &mut i64,
    ) -> Result<usize> {
        let Node::Constant(contents) = &*node else {
            return Err(EINVAL);
        };
        // As `binder_logs/`: `start + n <= len`, `*pos` only grows by `n`.
        let start = usize::try_from(*pos)
            .map_err(|_| EINVAL)?
            .min(contents.len());
        let n = (contents.len() - start).min(buf.len());
        buf.write_slice(&contents[start..start + n])?;
        *pos = pos.saturating_add(i64::try_from(n).map_err(|_| EINVAL)?);
        Ok(n)
    }
}
