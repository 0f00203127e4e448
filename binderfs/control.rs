// SPDX-License-Identifier: GPL-2.0

//! `binder-control`: the file whose `BINDER_CTL_ADD` ioctl creates binder
//! devices in its binderfs instance.

use super::{add_device, BinderFs, Node, BINDERFS_MAX_NAME};
use crate::ffi::file::{File, FileOperations, Seek};
use crate::uapi;
use core::mem::size_of;
use kernel::error::{code::*, Result};
use kernel::sync::ArcBorrow;
use kernel::uaccess::UserSlice;

/// The control file.
pub(crate) struct ControlFile;

impl FileOperations for ControlFile {
    type Fs = BinderFs;
    type Data = ();
    const SEEK: Seek = Seek::NonSeekable;
    const HAS_IOCTL: bool = true;

    fn open(_node: Option<ArcBorrow<'_, Node>>, _file: &File<BinderFs>) -> Result<()> {
        Ok(())
    }

    fn ioctl(_: (), file: &File<BinderFs>, cmd: u32, arg: usize) -> Result<i32> {
        match cmd {
            uapi::BINDER_CTL_ADD => ctl_add(file, arg).map(|()| 0),
            _ => Err(EINVAL),
        }
    }
}

/// `struct binderfs_device` as bytes: name, then major and minor (u32 each).
const REQ_SIZE: usize = size_of::<uapi::binderfs_device>();
const MAJOR_AT: usize = BINDERFS_MAX_NAME + 1;
const MINOR_AT: usize = MAJOR_AT + 4;

fn ctl_add(file: &File<BinderFs>, arg: usize) -> Result {
    let (mut reader, mut writer) = UserSlice::new(arg, REQ_SIZE).reader_writer();
    let mut req = [0u8; REQ_SIZE];
    reader.read_slice(&mut req)?;
    let sb = file.inode().super_block();
    let info = sb.info().ok_or(EINVAL)?;
    // The name is NUL-terminated at the latest at its last byte.
    req[BINDERFS_MAX_NAME] = 0;
    let len = req
        .iter()
        .position(|&c| c == 0)
        .unwrap_or(BINDERFS_MAX_NAME);
    let mut name = [0u8; BINDERFS_MAX_NAME];
    name[..len].copy_from_slice(&req[..len]);
    add_device(sb, info, &name[..len], |major, minor| {
        req[MAJOR_AT..MAJOR_AT + 4].copy_from_slice(&major.to_ne_bytes());
        req[MINOR_AT..MINOR_AT + 4].copy_from_slice(&minor.to_ne_bytes());
        writer.write_slice(&req)
    })
}
