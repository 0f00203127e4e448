//! rust_binder Android userspace test: create a binder device on a binderfs
//! mount with BINDER_CTL_ADD (include/uapi/linux/android/binderfs.h).
//!
//! Usage: rb-binderfs-mkdev CONTROL NAME   e.g. /dev/binderfs/binder-control binder
//! Prints "NAME MAJOR:MINOR". An existing device (EEXIST) is not an error
//! (prints "NAME exists"), so the helper is idempotent.
use std::os::fd::AsRawFd;

const BINDERFS_MAX_NAME: usize = 255;

#[repr(C)]
struct BinderfsDevice {
    name: [u8; BINDERFS_MAX_NAME + 1],
    major: u32,
    minor: u32,
}

// _IOWR('b', 1, struct binderfs_device)
const BINDER_CTL_ADD: u64 =
    (3 << 30) | ((std::mem::size_of::<BinderfsDevice>() as u64) << 16) | ((b'b' as u64) << 8) | 1;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [control, name] = args.as_slice() else {
        eprintln!("usage: rb-binderfs-mkdev CONTROL NAME");
        std::process::exit(2);
    };
    if name.is_empty() || name.len() > BINDERFS_MAX_NAME || name.contains('/') {
        eprintln!("rb-binderfs-mkdev: bad device name {name:?}");
        std::process::exit(2);
    }
    let f = match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(control)
    {
        Ok(f) => f,
        Err(e) => {
            eprintln!("rb-binderfs-mkdev: open {control}: {e}");
            std::process::exit(1);
        }
    };
    let mut dev = BinderfsDevice {
        name: [0; BINDERFS_MAX_NAME + 1],
        major: 0,
        minor: 0,
    };
    dev.name[..name.len()].copy_from_slice(name.as_bytes());
    // SAFETY: BINDER_CTL_ADD reads and writes one struct binderfs_device, which `dev` is.
    let r = unsafe {
        libc::ioctl(
            f.as_raw_fd(),
            BINDER_CTL_ADD as _,
            &mut dev as *mut BinderfsDevice,
        )
    };
    if r < 0 {
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::EEXIST) {
            println!("{name} exists");
            return;
        }
        eprintln!("rb-binderfs-mkdev: BINDER_CTL_ADD {name}: {e}");
        std::process::exit(1);
    }
    println!("{name} {}:{}", dev.major, dev.minor);
}
