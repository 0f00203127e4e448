//! rust_binder Android userspace test: AIDL bindings and helpers shared by the
//! service and the client.
#[allow(non_snake_case, clippy::all, unused)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/rb_android.rs"));
}
pub use generated::rb;

/// The binderfs device rsb_hub, the service and the client use by default.
pub const DEFAULT_DEVICE: &str = "/dev/binderfs/binder";
/// The name the service registers with the service manager.
pub const SERVICE_NAME: &str = "rb.android.ITestService/default";

/// The value after `flag` in `args` ("--flag VALUE"), if any.
pub fn arg_value(args: &[String], flag: &str) -> Option<String> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

// ---- file descriptors and shared memory (both sides) ------------------------

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// Byte `i` of the shared-memory pattern for `seed`. Differs between pages
/// (and between seeds) so that a misplaced page or a stale mapping shows.
pub fn pattern(seed: i32, i: usize) -> u8 {
    let x = (i as u32).wrapping_mul(0x9E37_79B1) ^ (seed as u32).wrapping_mul(0x85EB_CA77);
    (x ^ (x >> 11) ^ (x >> 19) ^ (i >> 12) as u32) as u8
}

/// Fills `buf` with `pattern(seed, i)`.
pub fn fill_pattern(buf: &mut [u8], seed: i32) {
    buf.iter_mut()
        .enumerate()
        .for_each(|(i, b)| *b = pattern(seed, i));
}

/// The index of the first byte of `buf` that is not `pattern(seed, i)`.
pub fn pattern_mismatch(buf: &[u8], seed: i32) -> Option<usize> {
    buf.iter()
        .enumerate()
        .position(|(i, &b)| b != pattern(seed, i))
}

/// What fd `i` of `makeFds(n)` holds.
pub fn fd_text(i: usize, n: usize) -> String {
    format!("rb-android fd {i} of {n} {}", "*".repeat(i * 37))
}

fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// A new pipe (read end, write end), both O_CLOEXEC.
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut p = [0; 2];
    // SAFETY: p has room for the two fds pipe2 writes.
    cvt(unsafe { libc::pipe2(p.as_mut_ptr(), libc::O_CLOEXEC) })?;
    // SAFETY: pipe2 succeeded, so both are new fds nothing else owns.
    Ok(unsafe { (OwnedFd::from_raw_fd(p[0]), OwnedFd::from_raw_fd(p[1])) })
}

/// A new memfd (O_CLOEXEC, sealing allowed) of `size` bytes.
pub fn memfd(name: &str, size: usize) -> io::Result<OwnedFd> {
    let name = std::ffi::CString::new(name).map_err(|_| io::ErrorKind::InvalidInput)?;
    // SAFETY: name is a valid C string.
    let fd = cvt(unsafe {
        libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING)
    })?;
    // SAFETY: a new fd nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: plain syscall on an fd we own.
    cvt(unsafe { libc::ftruncate(fd.as_raw_fd(), size as libc::off_t) })?;
    Ok(fd)
}

/// write(2)s all of `data` at fd's current offset.
pub fn write_all(fd: BorrowedFd<'_>, mut data: &[u8]) -> io::Result<usize> {
    let total = data.len();
    while !data.is_empty() {
        // SAFETY: data is valid for data.len() bytes.
        let n = unsafe { libc::write(fd.as_raw_fd(), data.as_ptr().cast(), data.len()) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        data = &data[n as usize..];
    }
    Ok(total)
}

/// fstat(2).
pub fn fstat(fd: BorrowedFd<'_>) -> io::Result<libc::stat> {
    // SAFETY: st is written by fstat before it is read.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: st is a valid stat buffer.
    cvt(unsafe { libc::fstat(fd.as_raw_fd(), &mut st) })?;
    Ok(st)
}

/// lseek(fd, 0, SEEK_CUR): the offset of fd's open file description.
pub fn offset(fd: BorrowedFd<'_>) -> io::Result<i64> {
    // SAFETY: plain syscall.
    let r = unsafe { libc::lseek(fd.as_raw_fd(), 0, libc::SEEK_CUR) };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r as i64)
    }
}

/// fcntl(fd, F_GETFL) & O_ACCMODE.
pub fn access_mode(fd: BorrowedFd<'_>) -> io::Result<i32> {
    // SAFETY: plain syscall.
    Ok(cvt(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) })? & libc::O_ACCMODE)
}

/// fcntl(fd, F_GET_SEALS).
pub fn seals(fd: BorrowedFd<'_>) -> io::Result<i32> {
    // SAFETY: plain syscall.
    cvt(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GET_SEALS) })
}

/// Whether fd is a regular file (a memfd).
pub fn is_regular(fd: BorrowedFd<'_>) -> io::Result<bool> {
    Ok(fstat(fd)?.st_mode & libc::S_IFMT == libc::S_IFREG)
}

/// A regular file's contents from offset 0 (pread; fd's offset is untouched).
pub fn pread_all(fd: BorrowedFd<'_>) -> io::Result<Vec<u8>> {
    let size = fstat(fd)?.st_size as usize;
    let mut buf = vec![0u8; size];
    let mut done = 0;
    while done < size {
        // SAFETY: buf[done..] is valid for size - done bytes.
        let n = unsafe {
            libc::pread(
                fd.as_raw_fd(),
                buf[done..].as_mut_ptr().cast(),
                size - done,
                done as libc::off_t,
            )
        };
        match n {
            0 => break,
            n if n < 0 => {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
            n => done += n as usize,
        }
    }
    buf.truncate(done);
    Ok(buf)
}

/// Reads fd (a pipe) to EOF: at most `max` bytes, within `timeout`. EOF
/// means every write end is closed.
pub fn read_to_eof(fd: BorrowedFd<'_>, max: usize, timeout: Duration) -> io::Result<Vec<u8>> {
    let deadline = Instant::now() + timeout;
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("no EOF within {timeout:?} ({} bytes read)", out.len()),
            ));
        }
        let mut pfd = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let r = unsafe { libc::poll(&mut pfd, 1, left.as_millis().min(60_000) as libc::c_int) };
        if r < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        if r == 0 {
            continue;
        }
        // SAFETY: buf is valid for its length.
        let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        match n {
            0 => return Ok(out),
            n if n < 0 => {
                let e = io::Error::last_os_error();
                if !matches!(
                    e.kind(),
                    io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock
                ) {
                    return Err(e);
                }
            }
            n => {
                out.extend_from_slice(&buf[..n as usize]);
                if out.len() > max {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("more than {max} bytes"),
                    ));
                }
            }
        }
    }
}

/// The contents of fd: a regular file from offset 0, else (a pipe) read to
/// EOF (at most 64 KiB, 10 s).
pub fn fd_contents(fd: BorrowedFd<'_>) -> io::Result<Vec<u8>> {
    if is_regular(fd)? {
        pread_all(fd)
    } else {
        read_to_eof(fd, 64 << 10, Duration::from_secs(10))
    }
}

/// The number of this process's open fds (entries of /proc/self/fd; the
/// directory's own fd counts too, the same each time).
pub fn count_fds() -> io::Result<usize> {
    Ok(std::fs::read_dir("/proc/self/fd")?.count())
}

/// A MAP_SHARED read-write mapping of a whole fd, unmapped on drop.
pub struct Mapping {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: the mapping is plain memory; access goes through &self / &mut self.
unsafe impl Send for Mapping {}

impl Mapping {
    /// mmap(fd, 0, len, PROT_READ|PROT_WRITE, MAP_SHARED).
    pub fn new(fd: BorrowedFd<'_>, len: usize) -> io::Result<Self> {
        // SAFETY: a new mapping; no Rust object aliases it.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.as_raw_fd(),
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Self { ptr: p.cast(), len })
    }
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: ptr is a live mapping of len bytes. Another process may
        // write it, but only while this one is blocked in a binder call.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as bytes(); &mut self makes it the only local reference.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly what new() mapped.
        unsafe { libc::munmap(self.ptr.cast(), self.len) };
    }
}
