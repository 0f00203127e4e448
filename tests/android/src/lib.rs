// rust_binder Android userspace test: AIDL bindings and helpers shared by the
// service and the client.
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
