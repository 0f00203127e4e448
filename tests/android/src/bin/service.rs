// rust_binder Android userspace test: the service. Registers ITestService with
// the service manager (rsb_hub) and serves it from a binder thread pool.
//
// Usage: rb-android-service [--device PATH] [--name NAME] [--ready-file PATH]
// The ready file (written once the service is registered) holds the pid.
use rb_android::rb::android::ITestCallback::ITestCallback;
use rb_android::rb::android::ITestService::{BnTestService, ITestService};
use rb_android::rb::android::Point::Point;
use rb_android::{arg_value, DEFAULT_DEVICE, SERVICE_NAME};
use rsbinder::{hub, BinderResult, Interface, ProcessState, Status, StatusCode, Strong};
use std::sync::Mutex;

#[derive(Default)]
struct TestService {
    callback: Mutex<Option<Strong<dyn ITestCallback>>>,
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
