//! rust_binder Android userspace test: the service. Registers ITestService with
//! the service manager (rsb_hub) and serves it from a binder thread pool.
//!
//! Usage: rb-android-service [--device PATH] [--name NAME] [--ready-file PATH]
//! The ready file (written once the service is registered) holds the pid.
use rb_android::rb::android::ITestCallback::ITestCallback;
use rb_android::rb::android::ITestService::{BnTestService, ITestService};
use rb_android::rb::android::Point::Point;
use rb_android::{arg_value, DEFAULT_DEVICE, SERVICE_NAME};
use rsbinder::shared_memory::SharedMemory;
use rsbinder::{
    hub, BinderResult, Interface, ParcelFileDescriptor, ProcessState, Status, StatusCode, Strong,
};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Mutex;

#[derive(Default)]
struct TestService {
    callback: Mutex<Option<Strong<dyn ITestCallback>>>,
    /// The shared-memory region of shmCreate / shmAttach.
    shm: Mutex<Option<SharedMemory>>,
}

/// An io::Error as a service-specific error the client can print.
fn io_err(what: &str, e: std::io::Error) -> Status {
    log::error!("{what}: {e}");
    Status::new_service_specific_error(e.raw_os_error().unwrap_or(-1), Some(format!("{what}: {e}")))
}

fn rs_err(what: &str, e: StatusCode) -> Status {
    log::error!("{what}: {e:?}");
    Status::new_service_specific_error(-1, Some(format!("{what}: {e:?}")))
}

/// The region's bytes (copied out).
fn shm_bytes(m: &SharedMemory) -> Result<Vec<u8>, Status> {
    let mut buf = vec![0u8; m.size()];
    m.read_at(0, &mut buf)
        .map_err(|e| rs_err("SharedMemory::read_at", e))?;
    Ok(buf)
}

/// shmCheck's work on region m.
fn shm_check(m: &SharedMemory, seed: i32, next_seed: i32) -> BinderResult<i32> {
    let mut buf = shm_bytes(m)?;
    let bad = rb_android::pattern_mismatch(&buf, seed).map_or(-1, |i| i as i32);
    rb_android::fill_pattern(&mut buf, next_seed);
    m.write_at(0, &buf)
        .map_err(|e| rs_err("SharedMemory::write_at", e))?;
    Ok(bad)
}

impl Interface for TestService {}

fn stored(svc: &TestService) -> Option<Strong<dyn ITestCallback>> {
    svc.callback
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
}

fn handle_of(cb: &Strong<dyn ITestCallback>) -> Option<u32> {
    cb.as_binder().as_proxy().map(|p| p.handle())
}

impl ITestService for TestService {
    fn add(&self, a: i32, b: i32) -> BinderResult<i32> {
        Ok(a.wrapping_add(b))
    }
    fn mulLong(&self, a: i64, b: i64) -> BinderResult<i64> {
        Ok(a.wrapping_mul(b))
    }
    fn getPid(&self) -> BinderResult<i32> {
        Ok(std::process::id() as i32)
    }
    fn echo(&self, s: &str) -> BinderResult<String> {
        Ok(s.to_owned())
    }
    fn join(&self, parts: &[String], sep: &str) -> BinderResult<String> {
        Ok(parts.join(sep))
    }
    fn reverse(&self, v: &[i32]) -> BinderResult<Vec<i32>> {
        Ok(v.iter().rev().copied().collect())
    }
    fn sum(&self, v: &[i32]) -> BinderResult<i64> {
        Ok(v.iter().map(|&x| x as i64).sum())
    }
    fn xorBytes(&self, data: &[u8], key: i8) -> BinderResult<Vec<u8>> {
        Ok(data.iter().map(|b| b ^ key as u8).collect())
    }
    fn movePoint(&self, p: &Point, dx: i32, dy: i32) -> BinderResult<Point> {
        Ok(Point {
            x: p.x + dx,
            y: p.y + dy,
            tag: p.tag + 1,
            label: format!("{}'", p.label),
        })
    }
    fn sortByX(&self, pts: &[Point]) -> BinderResult<Vec<Point>> {
        let mut v = pts.to_vec();
        v.sort_by_key(|p| p.x);
        Ok(v)
    }
    fn fail(&self, code: i32, why: &str) -> BinderResult<()> {
        Err(Status::new_service_specific_error(
            code,
            Some(format!("fail: {why}")),
        ))
    }
    fn registerCallback(
        &self,
        cb: &Strong<dyn ITestCallback>,
        code: i32,
        msg: &str,
    ) -> BinderResult<i32> {
        *self.callback.lock().unwrap_or_else(|e| e.into_inner()) = Some(cb.clone());
        log::info!("registerCallback: handle {:?}", handle_of(cb));
        // Nested transaction: the caller's thread is blocked in this call and
        // receives the callback.
        cb.onEvent(code, msg)
    }
    fn isSameCallback(&self, cb: &Strong<dyn ITestCallback>) -> BinderResult<bool> {
        let Some(old) = stored(self) else {
            return Err(StatusCode::InvalidOperation.into());
        };
        let same_binder = old.as_binder() == cb.as_binder();
        let (h_old, h_new) = (handle_of(&old), handle_of(cb));
        log::info!("isSameCallback: handles {h_old:?} {h_new:?}, same binder {same_binder}");
        Ok(same_binder && h_old.is_some() && h_old == h_new)
    }
    fn getCallback(&self) -> BinderResult<Strong<dyn ITestCallback>> {
        stored(self).ok_or_else(|| StatusCode::InvalidOperation.into())
    }
    fn fireAsync(&self, code: i32, msg: &str) -> BinderResult<()> {
        let Some(cb) = stored(self) else {
            return Err(StatusCode::InvalidOperation.into());
        };
        let msg = msg.to_owned();
        // From a thread outside any transaction, after this call returned.
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(20));
            if let Err(e) = cb.onAsyncEvent(code, &msg) {
                log::error!("onAsyncEvent failed: {e:?}");
            }
        });
        Ok(())
    }
    fn unregisterCallback(&self) -> BinderResult<bool> {
        Ok(self
            .callback
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .is_some())
    }

    fn pipeWithData(&self, data: &[u8]) -> BinderResult<ParcelFileDescriptor> {
        if data.len() > 64 << 10 {
            return Err(StatusCode::BadValue.into());
        }
        let (r, w) = rb_android::pipe().map_err(|e| io_err("pipe", e))?;
        rb_android::write_all(w.as_fd(), data).map_err(|e| io_err("write", e))?;
        // w closes here: the reader sees EOF after the data.
        Ok(ParcelFileDescriptor::new(r))
    }
    fn writeFd(&self, fd: &ParcelFileDescriptor, data: &[u8]) -> BinderResult<i32> {
        let n = rb_android::write_all(fd.as_fd(), data).map_err(|e| io_err("write", e))?;
        Ok(n as i32)
    }
    fn readFd(&self, fd: &ParcelFileDescriptor) -> BinderResult<Vec<u8>> {
        rb_android::fd_contents(fd.as_fd()).map_err(|e| io_err("reading the fd", e))
    }
    fn fdInfo(&self, fd: &ParcelFileDescriptor) -> BinderResult<Vec<i64>> {
        let fd = fd.as_fd();
        let st = rb_android::fstat(fd).map_err(|e| io_err("fstat", e))?;
        let off = rb_android::offset(fd).unwrap_or(-1);
        let mode = rb_android::access_mode(fd).map_err(|e| io_err("fcntl(F_GETFL)", e))?;
        Ok(vec![
            st.st_dev as i64,
            st.st_ino as i64,
            (st.st_mode & libc::S_IFMT) as i64,
            st.st_size,
            off,
            mode as i64,
        ])
    }
    fn makeFds(&self, n: i32) -> BinderResult<Vec<ParcelFileDescriptor>> {
        if !(0..=16).contains(&n) {
            return Err(StatusCode::BadValue.into());
        }
        let n = n as usize;
        let mut v = Vec::with_capacity(n);
        for i in 0..n {
            let text = rb_android::fd_text(i, n);
            let fd: OwnedFd = if i % 2 == 0 {
                let m = rb_android::memfd(&format!("rb-fd-{i}"), text.len())
                    .map_err(|e| io_err("memfd_create", e))?;
                rb_android::write_all(m.as_fd(), text.as_bytes())
                    .map_err(|e| io_err("write", e))?;
                // Back to offset 0, so that a plain read(2) sees the text too.
                // SAFETY: plain syscall on an fd we own.
                unsafe { libc::lseek(std::os::fd::AsRawFd::as_raw_fd(&m), 0, libc::SEEK_SET) };
                m
            } else {
                let (r, w) = rb_android::pipe().map_err(|e| io_err("pipe", e))?;
                rb_android::write_all(w.as_fd(), text.as_bytes())
                    .map_err(|e| io_err("write", e))?;
                r
            };
            v.push(ParcelFileDescriptor::new(fd));
        }
        Ok(v)
    }
    fn readFds(&self, fds: &[ParcelFileDescriptor]) -> BinderResult<Vec<String>> {
        fds.iter()
            .enumerate()
            .map(|(i, fd)| {
                let b = rb_android::fd_contents(fd.as_fd())
                    .map_err(|e| io_err(&format!("reading fd {i}"), e))?;
                Ok(String::from_utf8_lossy(&b).into_owned())
            })
            .collect()
    }
    fn countFds(&self) -> BinderResult<i32> {
        let n = rb_android::count_fds().map_err(|e| io_err("/proc/self/fd", e))?;
        Ok(n as i32)
    }
    fn shmCreate(&self, size: i32, seed: i32) -> BinderResult<ParcelFileDescriptor> {
        if !(1..=(16 << 20)).contains(&size) {
            return Err(StatusCode::BadValue.into());
        }
        let m = SharedMemory::create_named(size as usize, "rb-android-shm")
            .map_err(|e| rs_err("SharedMemory::create", e))?;
        let mut buf = vec![0u8; m.size()];
        rb_android::fill_pattern(&mut buf, seed);
        m.write_at(0, &buf)
            .map_err(|e| rs_err("SharedMemory::write_at", e))?;
        let pfd = m.to_parcel_fd().map_err(|e| rs_err("to_parcel_fd", e))?;
        *self.shm.lock().unwrap_or_else(|e| e.into_inner()) = Some(m);
        Ok(pfd)
    }
    fn shmAttach(&self, fd: &ParcelFileDescriptor, seed: i32, next_seed: i32) -> BinderResult<i32> {
        let own = fd.try_clone().map_err(|e| rs_err("dup", e))?;
        let m = SharedMemory::from_fd(OwnedFd::from(own))
            .map_err(|e| rs_err("SharedMemory::from_fd", e))?;
        if m.is_read_only() {
            return Err(rs_err(
                "SharedMemory::from_fd",
                StatusCode::PermissionDenied,
            ));
        }
        let r = shm_check(&m, seed, next_seed)?;
        *self.shm.lock().unwrap_or_else(|e| e.into_inner()) = Some(m);
        Ok(r)
    }
    fn shmCheck(&self, seed: i32, next_seed: i32) -> BinderResult<i32> {
        let g = self.shm.lock().unwrap_or_else(|e| e.into_inner());
        let m = g.as_ref().ok_or(StatusCode::InvalidOperation)?;
        shm_check(m, seed, next_seed)
    }
    fn shmRelease(&self) -> BinderResult<bool> {
        Ok(self
            .shm
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .is_some())
    }
}

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let device = arg_value(&args, "--device").unwrap_or(DEFAULT_DEVICE.to_owned());
    let name = arg_value(&args, "--name").unwrap_or(SERVICE_NAME.to_owned());
    let ready = arg_value(&args, "--ready-file");

    if let Err(e) = ProcessState::init(&device, rsbinder::DEFAULT_MAX_BINDER_THREADS) {
        eprintln!("rb-android-service: ProcessState::init({device}): {e}");
        std::process::exit(1);
    }
    ProcessState::start_thread_pool();

    let service = BnTestService::new_binder(TestService::default());
    if let Err(e) = hub::add_service(&name, service.as_binder()) {
        eprintln!("rb-android-service: addService({name}): {e:?}");
        std::process::exit(1);
    }
    if let Some(path) = ready {
        let tmp = format!("{path}.tmp");
        std::fs::write(&tmp, format!("{}\n", std::process::id()))
            .and_then(|_| std::fs::rename(&tmp, &path))
            .unwrap_or_else(|e| {
                eprintln!("rb-android-service: writing {path}: {e}");
                std::process::exit(1);
            });
    }
    eprintln!(
        "rb-android-service: serving {name} on {device} (pid {})",
        std::process::id()
    );
    let r = ProcessState::join_thread_pool();
    eprintln!("rb-android-service: join_thread_pool returned {r:?}");
    std::process::exit(1);
}
