// SPDX-License-Identifier: GPL-2.0
//! Generates the Rust bindings of aidl/rb/bench/IBench.aidl into $OUT_DIR/rb_bench.rs.
use std::path::PathBuf;

fn main() {
    let p = PathBuf::from("aidl/rb/bench/IBench.aidl");
    println!("cargo:rerun-if-changed={}", p.display());
    rsbinder_aidl::Builder::new()
        .source(p)
        .output(PathBuf::from("rb_bench.rs"))
        .generate()
        .expect("rsbinder-aidl failed");
}
