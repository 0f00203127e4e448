//! rust_binder Android userspace test: the client. Finds ITestService through the
//! service manager (rsb_hub), runs the test cases in CASES and prints TAP.
//!
//! Usage:
//!   rb-android-client [--device PATH] [--name NAME] [--armed-file PATH]
//!                     [--death-timeout SECS] [--only SUBSTRING]
//!       run the cases; "death" writes the service's pid to --armed-file once it
//!       has linked to the service's death, then waits for someone (run.sh) to
//!       SIGKILL the service; without --armed-file it is skipped.
//!   rb-android-client --count        print the number of cases (for TAP plans)
//!   rb-android-client --list         print the case names
//!   rb-android-client --ping-hub     exit 0 iff the service manager answers
//!
//! Adding a case: write `fn case_x(cx: &mut Ctx) -> CaseResult` and append it to
//! CASES; if it needs new service methods, add them to aidl/rb/android/.
use rb_android::rb::android::ITestCallback::{BnTestCallback, ITestCallback};
use rb_android::rb::android::ITestService::ITestService;
use rb_android::rb::android::Point::Point;
use rb_android::{arg_value, DEFAULT_DEVICE, SERVICE_NAME};
use rsbinder::{
    hub, BinderResult, DeathRecipient, ExceptionCode, Interface, ParcelFileDescriptor,
    ProcessState, StatusCode, Strong, WIBinder,
};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

type CaseResult = Result<Option<String>, String>;
type CaseFn = fn(&mut Ctx) -> CaseResult;

/// The cases, in order; each prints one TAP line. Later cases may rely on
/// state earlier ones left in Ctx (the service proxy, the callback).
#[rustfmt::skip]
const CASES: &[(&str, CaseFn)] = &[
    ("lookup service through the service manager", case_lookup),
    ("ints: int and long arguments and results", case_ints),
    ("strings: String arguments, String[] and results", case_strings),
    ("arrays: int[] and byte[] arguments and results", case_arrays),
    ("parcelables: Point and Point[] arguments and results", case_parcelables),
    ("errors: service-specific exception reaches the caller", case_errors),
    ("callback: service calls the registered callback (nested, same thread)", case_callback_sync),
    ("callback: one-way call back from a service thread reaches the pool", case_callback_async),
    ("callback: passed again, the service recognises the same binder", case_callback_same),
    ("callback: handed back to its owner as the local object", case_callback_back),
    ("fds: service returns a pipe's read end holding 8 KiB (ParcelFileDescriptor out)", case_fd_out),
    ("fds: client passes a pipe's write end and a memfd (ParcelFileDescriptor in)", case_fd_in),
    ("fds: several in one parcel both ways (ParcelFileDescriptor[])", case_fd_many),
    ("shm: the service's 64 KiB memfd mapped by both sides", case_shm_service),
    ("shm: the client's 64 KiB memfd mapped by the service", case_shm_client),
    ("death: recipient fires when the service is SIGKILLed", case_death),
];

struct Ctx {
    name: String,
    armed_file: Option<String>,
    death_timeout: Duration,
    svc: Option<Strong<dyn ITestService>>,
    events: Arc<Events>,
    callback: Option<Strong<dyn ITestCallback>>,
}

impl Ctx {
    fn svc(&self) -> Result<&Strong<dyn ITestService>, String> {
        self.svc
            .as_ref()
            .ok_or_else(|| "no service (lookup failed)".to_owned())
    }
}

/// What the callback object saw: (code, msg, thread).
#[derive(Default)]
struct Events {
    list: Mutex<Vec<(i32, String, ThreadId)>>,
    cv: Condvar,
}

impl Events {
    fn push(&self, code: i32, msg: &str) {
        let mut l = self.list.lock().unwrap_or_else(|e| e.into_inner());
        l.push((code, msg.to_owned(), std::thread::current().id()));
        self.cv.notify_all();
    }
    /// Waits until an event with `code` was seen; returns it.
    fn wait_for(&self, code: i32, timeout: Duration) -> Option<(i32, String, ThreadId)> {
        let deadline = Instant::now() + timeout;
        let mut l = self.list.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(e) = l.iter().find(|e| e.0 == code) {
                return Some(e.clone());
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            l = self
                .cv
                .wait_timeout(l, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

struct TestCallback {
    events: Arc<Events>,
}

impl Interface for TestCallback {}

impl ITestCallback for TestCallback {
    fn onEvent(&self, code: i32, msg: &str) -> BinderResult<i32> {
        self.events.push(code, msg);
        Ok(code * 2 + msg.len() as i32)
    }
    fn onAsyncEvent(&self, code: i32, msg: &str) -> BinderResult<()> {
        self.events.push(code, msg);
        Ok(())
    }
}

fn check<T: PartialEq + std::fmt::Debug>(what: &str, got: T, want: T) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, want {want:?}"))
    }
}

fn call<T, E: std::fmt::Debug>(what: &str, r: Result<T, E>) -> Result<T, String> {
    r.map_err(|e| format!("{what}: {e:?}"))
}

fn case_lookup(cx: &mut Ctx) -> CaseResult {
    // The service is registered before the client starts (run.sh waits for
    // it), so one lookup must succeed; a few retries cover a slow guest.
    let deadline = Instant::now() + Duration::from_secs(5);
    let svc = loop {
        match hub::check_interface::<dyn ITestService>(&cx.name) {
            Ok(s) => break s,
            Err(e) if Instant::now() > deadline => {
                return Err(format!("checkService({}): {e:?}", cx.name))
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    };
    let names = hub::list_services(hub::DUMP_FLAG_PRIORITY_ALL);
    if !names.iter().any(|n| n == &cx.name) {
        return Err(format!("listServices does not list {}: {names:?}", cx.name));
    }
    if hub::check_service("rb.android.no.such.service").is_some() {
        return Err("checkService found a name nobody registered".into());
    }
    let b = svc.as_binder();
    if !b.is_remote() {
        return Err("service binder is not a remote proxy".into());
    }
    let handle = b.as_proxy().map(|p| p.handle()).unwrap_or(0);
    call("ping", b.ping_binder())?;
    cx.svc = Some(svc);
    Ok(Some(format!(
        "handle {handle}, {} services listed",
        names.len()
    )))
}

fn case_ints(cx: &mut Ctx) -> CaseResult {
    let s = cx.svc()?;
    check("add(2, 3)", call("add", s.add(2, 3))?, 5)?;
    check("add(-7, 4)", call("add", s.add(-7, 4))?, -3)?;
    check("add(MAX, 1)", call("add", s.add(i32::MAX, 1))?, i32::MIN)?;
    check(
        "mulLong",
        call("mulLong", s.mulLong(1 << 40, -3))?,
        -3i64 << 40,
    )?;
    let pid = call("getPid", s.getPid())?;
    if pid <= 0 || pid as u32 == std::process::id() {
        return Err(format!("getPid: {pid} (client is {})", std::process::id()));
    }
    Ok(Some(format!("service pid {pid}")))
}

fn case_strings(cx: &mut Ctx) -> CaseResult {
    let s = cx.svc()?;
    for v in ["hello, binder", "", "héllo wörld ✓ 🦀", &"x".repeat(10_000)] {
        check("echo", call("echo", s.echo(v))?.as_str(), v)?;
    }
    let parts: Vec<String> = ["a", "bb", "", "ccc"]
        .iter()
        .map(|x| x.to_string())
        .collect();
    check(
        "join",
        call("join", s.join(&parts, "-"))?,
        "a-bb--ccc".to_owned(),
    )?;
    check("join([])", call("join", s.join(&[], ","))?, String::new())?;
    Ok(None)
}

fn case_arrays(cx: &mut Ctx) -> CaseResult {
    let s = cx.svc()?;
    let v: Vec<i32> = (1..=1000).collect();
    let want: Vec<i32> = v.iter().rev().copied().collect();
    check("reverse", call("reverse", s.reverse(&v))?, want)?;
    check("reverse([])", call("reverse", s.reverse(&[]))?, vec![])?;
    check(
        "sum",
        call("sum", s.sum(&[i32::MAX, i32::MAX, -1]))?,
        2 * i32::MAX as i64 - 1,
    )?;
    let data: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 251) as u8).collect();
    let want: Vec<u8> = data.iter().map(|b| b ^ 0x5a).collect();
    check("xorBytes", call("xorBytes", s.xorBytes(&data, 0x5a))?, want)?;
    Ok(None)
}

/// Point has no PartialEq: compare it as a tuple.
fn pt(p: &Point) -> (i32, i32, i64, &str) {
    (p.x, p.y, p.tag, p.label.as_str())
}

fn case_parcelables(cx: &mut Ctx) -> CaseResult {
    let s = cx.svc()?;
    let p = Point {
        x: 1,
        y: -2,
        tag: 1 << 33,
        label: "p".into(),
    };
    let q = call("movePoint", s.movePoint(&p, 10, 20))?;
    check("movePoint", pt(&q), (11, 18, (1 << 33) + 1, "p'"))?;
    let pts: Vec<Point> = [(3, "c"), (-1, "a"), (2, "b")]
        .iter()
        .map(|&(x, l)| Point {
            x,
            y: x * 10,
            tag: x as i64,
            label: l.into(),
        })
        .collect();
    let sorted = call("sortByX", s.sortByX(&pts))?;
    let labels: Vec<&str> = sorted.iter().map(|p| p.label.as_str()).collect();
    check("sortByX labels", labels, vec!["a", "b", "c"])?;
    check("sortByX[0]", pt(&sorted[0]), pt(&pts[1]))?;
    Ok(None)
}

fn case_errors(cx: &mut Ctx) -> CaseResult {
    let s = cx.svc()?;
    match s.fail(42, "on purpose") {
        Ok(()) => Err("fail() returned Ok".into()),
        Err(st) => {
            check(
                "exception",
                st.exception_code(),
                ExceptionCode::ServiceSpecific,
            )?;
            check("code", st.service_specific_error(), 42)?;
            check("message", st.message(), Some("fail: on purpose"))?;
            // The connection still works afterwards.
            check("add after error", call("add", s.add(1, 1))?, 2)?;
            Ok(None)
        }
    }
}

fn case_callback_sync(cx: &mut Ctx) -> CaseResult {
    let s = cx.svc()?.clone();
    let cb = BnTestCallback::new_binder(TestCallback {
        events: cx.events.clone(),
    });
    cx.callback = Some(cb.clone());
    // The service stores cb and calls cb.onEvent(7, "hello") before replying.
    let r = call("registerCallback", s.registerCallback(&cb, 7, "hello"))?;
    check("registerCallback result (onEvent's)", r, 7 * 2 + 5)?;
    let Some((_, msg, tid)) = cx.events.wait_for(7, Duration::from_secs(1)) else {
        return Err("the callback object did not see onEvent(7)".into());
    };
    check("onEvent msg", msg.as_str(), "hello")?;
    // The driver hands a nested call to the thread waiting in the outer one.
    check(
        "onEvent thread is the calling thread",
        tid,
        std::thread::current().id(),
    )?;
    Ok(None)
}

fn case_callback_async(cx: &mut Ctx) -> CaseResult {
    let s = cx.svc()?;
    cx.callback.as_ref().ok_or("no callback registered")?;
    call("fireAsync", s.fireAsync(9, "async"))?;
    let Some((_, msg, tid)) = cx.events.wait_for(9, Duration::from_secs(10)) else {
        return Err("onAsyncEvent(9) not received within 10 s".into());
    };
    check("onAsyncEvent msg", msg.as_str(), "async")?;
    if tid == std::thread::current().id() {
        return Err("one-way callback ran on the main thread, not a pool thread".into());
    }
    Ok(None)
}

fn case_callback_same(cx: &mut Ctx) -> CaseResult {
    let s = cx.svc()?;
    let cb = cx.callback.clone().ok_or("no callback registered")?;
    check(
        "isSameCallback(registered)",
        call("isSameCallback", s.isSameCallback(&cb))?,
        true,
    )?;
    // Negative control: a different object is not the same binder.
    let other = BnTestCallback::new_binder(TestCallback {
        events: Arc::new(Events::default()),
    });
    check(
        "isSameCallback(other)",
        call("isSameCallback", s.isSameCallback(&other))?,
        false,
    )?;
    check(
        "isSameCallback(registered) again",
        call("isSameCallback", s.isSameCallback(&cb))?,
        true,
    )?;
    Ok(None)
}

fn case_callback_back(cx: &mut Ctx) -> CaseResult {
    let s = cx.svc()?;
    let cb = cx.callback.clone().ok_or("no callback registered")?;
    let back = call("getCallback", s.getCallback())?;
    let b = back.as_binder();
    if b.is_remote() {
        return Err("the returned callback is a proxy, not our local object".into());
    }
    if b != cb.as_binder() {
        return Err("the returned callback is a different local object".into());
    }
    // A direct (local) call reaches the same object.
    check(
        "local onEvent",
        call("onEvent", back.onEvent(11, "local"))?,
        11 * 2 + 5,
    )?;
    cx.events
        .wait_for(11, Duration::from_secs(1))
        .ok_or("local onEvent not recorded")?;
    check(
        "unregisterCallback",
        call("unregisterCallback", s.unregisterCallback())?,
        true,
    )?;
    Ok(None)
}

// ---- file descriptors and shared memory --------------------------------------

fn io<T>(what: &str, r: std::io::Result<T>) -> Result<T, String> {
    r.map_err(|e| format!("{what}: {e}"))
}

/// Open fds of the client and the service at the start of an fd case.
struct FdBaseline {
    client: usize,
    service: i32,
}

fn fd_baseline(s: &Strong<dyn ITestService>) -> Result<FdBaseline, String> {
    Ok(FdBaseline {
        client: io("/proc/self/fd", rb_android::count_fds())?,
        service: call("countFds", s.countFds())?,
    })
}

/// After an fd case has dropped everything: neither side kept an fd. The
/// service closes the fds of a call and of its reply after the reply went
/// out, so its count may lag a little behind.
fn check_fd_baseline(s: &Strong<dyn ITestService>, b: &FdBaseline) -> Result<(), String> {
    check(
        "client's open fds afterwards",
        io("/proc/self/fd", rb_android::count_fds())?,
        b.client,
    )?;
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let n = call("countFds", s.countFds())?;
        if n == b.service {
            return Ok(());
        }
        if Instant::now() > deadline {
            return check("service's open fds afterwards", n, b.service);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn mode_name(mode: u32) -> &'static str {
    match mode & libc::S_IFMT {
        libc::S_IFIFO => "fifo",
        libc::S_IFREG => "regular file",
        libc::S_IFSOCK => "socket",
        libc::S_IFCHR => "char device",
        _ => "other",
    }
}

fn check_kind(what: &str, fd: &ParcelFileDescriptor, want: u32) -> Result<(), String> {
    let st = io(&format!("fstat({what})"), rb_android::fstat(fd.as_fd()))?;
    check(what, mode_name(st.st_mode), mode_name(want))
}

fn case_fd_out(cx: &mut Ctx) -> CaseResult {
    let s = cx.svc()?;
    let base = fd_baseline(s)?;
    let data: Vec<u8> = (0..8192).map(|i| rb_android::pattern(1, i)).collect();
    let pfd = call("pipeWithData", s.pipeWithData(&data))?;
    check_kind("received fd", &pfd, libc::S_IFIFO)?;
    check(
        "received fd's access mode",
        io("F_GETFL", rb_android::access_mode(pfd.as_fd()))?,
        libc::O_RDONLY,
    )?;
    // EOF after the data: the service closed its ends (the driver holds no
    // extra reference to the write end).
    let got = io(
        "reading the pipe",
        rb_android::read_to_eof(pfd.as_fd(), 64 << 10, Duration::from_secs(10)),
    )?;
    check("bytes read", got.len(), data.len())?;
    if got != data {
        return Err("the pipe's bytes differ from what the service wrote".into());
    }
    // An empty pipe: EOF at once.
    let empty = call("pipeWithData", s.pipeWithData(&[]))?;
    let got = io(
        "reading the empty pipe",
        rb_android::read_to_eof(empty.as_fd(), 16, Duration::from_secs(10)),
    )?;
    check("bytes in the empty pipe", got.len(), 0)?;
    drop((pfd, empty));
    check_fd_baseline(s, &base)?;
    Ok(None)
}

fn case_fd_in(cx: &mut Ctx) -> CaseResult {
    let s = cx.svc()?;
    let base = fd_baseline(s)?;
    // A pipe's write end: the service writes into it.
    let (r, w) = io("pipe", rb_android::pipe())?;
    let data: Vec<u8> = (0..5000).map(|i| rb_android::pattern(2, i)).collect();
    let w = ParcelFileDescriptor::new(w);
    check(
        "writeFd(pipe)",
        call("writeFd", s.writeFd(&w, &data))?,
        data.len() as i32,
    )?;
    drop(w);
    // EOF once our write end is closed: the service closed its copy.
    let got = io(
        "reading the pipe",
        rb_android::read_to_eof(r.as_fd(), 64 << 10, Duration::from_secs(10)),
    )?;
    if got != data {
        return Err(format!(
            "the pipe holds {} bytes, not the {} the service wrote (or they differ)",
            got.len(),
            data.len()
        ));
    }
    drop(r);

    // A memfd: the service gets the same open file description (inode,
    // offset, access mode), and its writes move our offset.
    let m = io("memfd_create", rb_android::memfd("rb-client-file", 0))?;
    let head = b"written by the client;";
    io("write", rb_android::write_all(m.as_fd(), head))?;
    let m = ParcelFileDescriptor::new(m);
    let st = io("fstat", rb_android::fstat(m.as_fd()))?;
    let info = call("fdInfo", s.fdInfo(&m))?;
    check(
        "fdInfo {dev, ino, type, size, offset, access mode}",
        info,
        vec![
            st.st_dev as i64,
            st.st_ino as i64,
            libc::S_IFREG as i64,
            head.len() as i64,
            head.len() as i64,
            libc::O_RDWR as i64,
        ],
    )?;
    let tail = b" and by the service";
    check(
        "writeFd(memfd)",
        call("writeFd", s.writeFd(&m, tail))?,
        tail.len() as i32,
    )?;
    check(
        "our offset after the service's write",
        io("lseek", rb_android::offset(m.as_fd()))?,
        (head.len() + tail.len()) as i64,
    )?;
    let whole = [&head[..], &tail[..]].concat();
    check(
        "the file's contents",
        io("pread", rb_android::pread_all(m.as_fd()))?,
        whole.clone(),
    )?;
    check("readFd(memfd)", call("readFd", s.readFd(&m))?, whole)?;
    drop(m);
    check_fd_baseline(s, &base)?;
    Ok(None)
}

fn case_fd_many(cx: &mut Ctx) -> CaseResult {
    let s = cx.svc()?;
    let base = fd_baseline(s)?;
    // Service to client: 6 fds in one reply, memfds and pipes alternating.
    let n = 6;
    let fds = call("makeFds", s.makeFds(n as i32))?;
    check("makeFds count", fds.len(), n)?;
    let mut raw: Vec<i32> = Vec::new();
    for (i, fd) in fds.iter().enumerate() {
        let kind = if i % 2 == 0 {
            libc::S_IFREG
        } else {
            libc::S_IFIFO
        };
        check_kind(&format!("makeFds[{i}]"), fd, kind)?;
        let got = io(
            &format!("reading makeFds[{i}]"),
            rb_android::fd_contents(fd.as_fd()),
        )?;
        check(
            &format!("makeFds[{i}] contents"),
            String::from_utf8_lossy(&got).as_ref(),
            rb_android::fd_text(i, n).as_str(),
        )?;
        raw.push(std::os::fd::AsRawFd::as_raw_fd(fd));
    }
    raw.sort_unstable();
    raw.dedup();
    check("distinct fd numbers", raw.len(), n)?;
    drop(fds);

    // Client to service: memfds, a pipe's read end, an empty memfd, and the
    // first memfd once more (a second fd for the same file).
    let texts = ["first memfd", "a pipe", "second memfd", ""];
    let mut v: Vec<ParcelFileDescriptor> = Vec::new();
    for (i, t) in texts.iter().enumerate() {
        let fd: OwnedFd = if i == 1 {
            let (r, w) = io("pipe", rb_android::pipe())?;
            io("write", rb_android::write_all(w.as_fd(), t.as_bytes()))?;
            r
        } else {
            let m = io(
                "memfd_create",
                rb_android::memfd(&format!("rb-client-{i}"), 0),
            )?;
            io("write", rb_android::write_all(m.as_fd(), t.as_bytes()))?;
            m
        };
        v.push(ParcelFileDescriptor::new(fd));
    }
    v.push(call("dup", v[0].try_clone())?);
    let got = call("readFds", s.readFds(&v))?;
    let mut want: Vec<String> = texts.iter().map(|t| t.to_string()).collect();
    want.push(texts[0].to_owned());
    check("readFds", got, want)?;
    drop(v);
    check_fd_baseline(s, &base)?;
    Ok(Some(format!("{n} fds back, 5 fds sent")))
}

const SHM_SIZE: usize = 64 << 10;

fn check_pattern(what: &str, buf: &[u8], seed: i32) -> Result<(), String> {
    match rb_android::pattern_mismatch(buf, seed) {
        None => Ok(()),
        Some(i) => Err(format!(
            "{what}: byte {i} is {:#04x}, want {:#04x} (pattern {seed})",
            buf[i],
            rb_android::pattern(seed, i)
        )),
    }
}

fn check_shm(what: &str, r: i32) -> Result<(), String> {
    if r == -1 {
        Ok(())
    } else {
        Err(format!("{what}: the service sees a wrong byte at {r}"))
    }
}

fn case_shm_service(cx: &mut Ctx) -> CaseResult {
    let s = cx.svc()?;
    let base = fd_baseline(s)?;
    let pfd = call("shmCreate", s.shmCreate(SHM_SIZE as i32, 11))?;
    check_kind("received fd", &pfd, libc::S_IFREG)?;
    let st = io("fstat", rb_android::fstat(pfd.as_fd()))?;
    check("memfd size", st.st_size as usize, SHM_SIZE)?;
    // The seals the service put on its memfd are on the file we got.
    let seals = io("F_GET_SEALS", rb_android::seals(pfd.as_fd()))?;
    check(
        "seals (F_SEAL_GROW | F_SEAL_SHRINK)",
        seals & (libc::F_SEAL_GROW | libc::F_SEAL_SHRINK | libc::F_SEAL_WRITE),
        libc::F_SEAL_GROW | libc::F_SEAL_SHRINK,
    )?;
    let mut map = io("mmap", rb_android::Mapping::new(pfd.as_fd(), SHM_SIZE))?;
    // The mapping outlives the fd.
    drop(pfd);
    check_pattern("the service's pattern", map.bytes(), 11)?;
    rb_android::fill_pattern(map.bytes_mut(), 12);
    check_shm("shmCheck(12)", call("shmCheck", s.shmCheck(12, 13))?)?;
    // The service's writes show in our mapping, with no new fd.
    check_pattern("the service's second pattern", map.bytes(), 13)?;
    rb_android::fill_pattern(map.bytes_mut(), 14);
    check_shm("shmCheck(14)", call("shmCheck", s.shmCheck(14, 15))?)?;
    check_pattern("the service's third pattern", map.bytes(), 15)?;
    check("shmRelease", call("shmRelease", s.shmRelease())?, true)?;
    // Still ours after the service unmapped it.
    check_pattern("after shmRelease", map.bytes(), 15)?;
    drop(map);
    check_fd_baseline(s, &base)?;
    Ok(None)
}

fn case_shm_client(cx: &mut Ctx) -> CaseResult {
    let s = cx.svc()?;
    let base = fd_baseline(s)?;
    let fd = io("memfd_create", rb_android::memfd("rb-client-shm", SHM_SIZE))?;
    let mut map = io("mmap", rb_android::Mapping::new(fd.as_fd(), SHM_SIZE))?;
    rb_android::fill_pattern(map.bytes_mut(), 21);
    let pfd = ParcelFileDescriptor::new(fd);
    check_shm(
        "shmAttach(21)",
        call("shmAttach", s.shmAttach(&pfd, 21, 22))?,
    )?;
    drop(pfd);
    check_pattern("the service's pattern", map.bytes(), 22)?;
    rb_android::fill_pattern(map.bytes_mut(), 23);
    check_shm("shmCheck(23)", call("shmCheck", s.shmCheck(23, 24))?)?;
    check_pattern("the service's second pattern", map.bytes(), 24)?;
    check("shmRelease", call("shmRelease", s.shmRelease())?, true)?;
    check(
        "shmRelease again",
        call("shmRelease", s.shmRelease())?,
        false,
    )?;
    drop(map);
    check_fd_baseline(s, &base)?;
    Ok(None)
}

struct Death {
    fired: Mutex<u32>,
    cv: Condvar,
}

impl DeathRecipient for Death {
    fn binder_died(&self, _who: &WIBinder) {
        *self.fired.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.cv.notify_all();
    }
}

fn case_death(cx: &mut Ctx) -> CaseResult {
    let Some(armed) = cx.armed_file.clone() else {
        return Ok(Some(
            "SKIP no --armed-file: nobody would kill the service".into(),
        ));
    };
    let s = cx.svc()?.clone();
    let pid = call("getPid", s.getPid())?;
    let death = Arc::new(Death {
        fired: Mutex::new(0),
        cv: Condvar::new(),
    });
    call("linkToDeath", s.as_binder().link_to_death_arc(&death))?;
    call("ping", s.as_binder().ping_binder())?;
    let tmp = format!("{armed}.tmp");
    std::fs::write(&tmp, format!("{pid}\n"))
        .and_then(|_| std::fs::rename(&tmp, &armed))
        .map_err(|e| format!("writing {armed}: {e}"))?;
    let t0 = Instant::now();
    let deadline = t0 + cx.death_timeout;
    {
        let mut n = death.fired.lock().unwrap_or_else(|e| e.into_inner());
        while *n == 0 {
            let now = Instant::now();
            if now >= deadline {
                return Err(format!(
                    "binder_died not called within {:?} of arming",
                    cx.death_timeout
                ));
            }
            n = death
                .cv
                .wait_timeout(n, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
    let waited = t0.elapsed();
    // Calls on the dead binder now fail with DEAD_OBJECT.
    match s.add(1, 2) {
        Ok(v) => return Err(format!("add() on the dead service returned {v}")),
        Err(e) => check(
            "add() on the dead service",
            e.transaction_error(),
            StatusCode::DeadObject,
        )?,
    }
    // rsb_hub got its own death notification and dropped the name.
    let deadline = Instant::now() + Duration::from_secs(10);
    while hub::check_service(&cx.name).is_some() {
        if Instant::now() > deadline {
            return Err("rsb_hub still lists the dead service after 10 s".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let n = *death.fired.lock().unwrap_or_else(|e| e.into_inner());
    check("binder_died calls", n, 1)?;
    Ok(Some(format!(
        "fired {} ms after arming",
        waited.as_millis()
    )))
}

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--count") {
        println!("{}", CASES.len());
        return;
    }
    if args.iter().any(|a| a == "--list") {
        CASES.iter().for_each(|(n, _)| println!("{n}"));
        return;
    }
    let device = arg_value(&args, "--device").unwrap_or(DEFAULT_DEVICE.to_owned());
    if let Err(e) = ProcessState::init(&device, rsbinder::DEFAULT_MAX_BINDER_THREADS) {
        eprintln!("rb-android-client: ProcessState::init({device}): {e}");
        std::process::exit(2);
    }
    if args.iter().any(|a| a == "--ping-hub") {
        let ok = hub::check_service("manager").is_some();
        std::process::exit(if ok { 0 } else { 1 });
    }
    // Pool threads receive one-way callbacks and death notifications.
    ProcessState::start_thread_pool();

    let secs = |f: &str, d: u64| {
        arg_value(&args, f)
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let mut cx = Ctx {
        name: arg_value(&args, "--name").unwrap_or(SERVICE_NAME.to_owned()),
        armed_file: arg_value(&args, "--armed-file"),
        death_timeout: Duration::from_secs(secs("--death-timeout", 20)),
        svc: None,
        events: Arc::new(Events::default()),
        callback: None,
    };
    let only = arg_value(&args, "--only");

    println!("1..{}", CASES.len());
    let mut failed = 0;
    for (i, (name, f)) in CASES.iter().enumerate() {
        let n = i + 1;
        if only.as_deref().is_some_and(|o| !name.contains(o)) && !name.starts_with("lookup") {
            println!("ok {n} - {name} # SKIP not selected by --only");
            continue;
        }
        let t0 = Instant::now();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut cx)))
            .unwrap_or_else(|p| {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                Err(format!("panicked: {msg}"))
            });
        let ms = t0.elapsed().as_millis();
        match r {
            Ok(Some(note)) if note.starts_with("SKIP") => println!("ok {n} - {name} # {note}"),
            Ok(Some(note)) => println!("ok {n} - {name} ({note}; {ms} ms)"),
            Ok(None) => println!("ok {n} - {name} ({ms} ms)"),
            Err(e) => {
                failed += 1;
                println!("not ok {n} - {name}");
                println!("# {e}");
            }
        }
    }
    // Flush before exiting: the binder threads never return.
    use std::io::Write;
    let _ = std::io::stdout().flush();
    std::process::exit(if failed == 0 { 0 } else { 1 });
}
