//! Generates the Rust bindings of aidl/rb/android/*.aidl into $OUT_DIR/rb_android.rs.
use std::path::PathBuf;

fn main() {
    let files = ["Point.aidl", "ITestCallback.aidl", "ITestService.aidl"];
    let mut builder = rsbinder_aidl::Builder::new();
    for f in files {
        let p = PathBuf::from("aidl/rb/android").join(f);
        println!("cargo:rerun-if-changed={}", p.display());
        builder = builder.source(p);
    }
    builder
        .output(PathBuf::from("rb_android.rs"))
        .generate()
        .expect("rsbinder-aidl failed");
}
