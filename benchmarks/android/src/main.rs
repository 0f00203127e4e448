// SPDX-License-Identifier: GPL-2.0
//! rb-bench-aidl: the rsbinder AIDL round-trip cell of `make bench`, run in
//! the QEMU guest by benchmarks/guest.sh with rsb_hub as the service manager.
//!
//!   rb-bench-aidl serve  --device PATH --name NAME [--ready-file PATH]
//!   rb-bench-aidl client --device PATH --name NAME --cell CELL --size BYTES --secs S
//!
//! `serve` registers IBench (aidl/rb/bench/IBench.aidl) with the service
//! manager and serves it from rsbinder's thread pool. `client` looks it up,
//! warms up (a tenth of S, at least 5 calls), then calls `call(data)` with
//! BYTES of data for S seconds (at least 10 calls), timing each call with
//! Instant (CLOCK_MONOTONIC), and prints one line in binder_bench's format:
//!   cell name=CELL calls=N calls_per_s=X p50_ns=.. p90_ns=.. p99_ns=.. max_ns=..
//! Under TCG only the rust_binder/C ratio of these numbers means anything.
#[allow(non_snake_case, clippy::all, unused)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/rb_bench.rs"));
}
use generated::rb::bench::IBench::{BnBench, IBench};
use rsbinder::{hub, BinderResult, Interface, ProcessState, Strong};
use std::time::{Duration, Instant};

struct Bench;

impl Interface for Bench {}

impl IBench for Bench {
    fn call(&self, data: &[u8]) -> BinderResult<i32> {
        Ok(data.len() as i32)
    }
}

fn arg(args: &[String], flag: &str) -> Option<String> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn fail(msg: String) -> ! {
    eprintln!("rb-bench-aidl: {msg}");
    std::process::exit(1);
}

fn serve(device: &str, name: &str, ready: Option<String>) -> ! {
    if let Err(e) = ProcessState::init(device, rsbinder::DEFAULT_MAX_BINDER_THREADS) {
        fail(format!("ProcessState::init({device}): {e}"));
    }
    ProcessState::start_thread_pool();
    let service = BnBench::new_binder(Bench);
    if let Err(e) = hub::add_service(name, service.as_binder()) {
        fail(format!("addService({name}): {e:?}"));
    }
    if let Some(path) = ready {
        let tmp = format!("{path}.tmp");
        if let Err(e) = std::fs::write(&tmp, format!("{}\n", std::process::id()))
            .and_then(|_| std::fs::rename(&tmp, &path))
        {
            fail(format!("writing {path}: {e}"));
        }
    }
    let r = ProcessState::join_thread_pool();
    fail(format!("join_thread_pool returned {r:?}"));
}

/// Nearest-rank percentile of sorted `lat` (as binder_bench's).
fn pct(lat: &[u64], p: usize) -> u64 {
    let i = (lat.len() * p).div_ceil(100);
    lat[i.saturating_sub(1)]
}

fn client(device: &str, name: &str, cell: &str, size: usize, secs: f64) {
    if let Err(e) = ProcessState::init(device, rsbinder::DEFAULT_MAX_BINDER_THREADS) {
        fail(format!("ProcessState::init({device}): {e}"));
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let svc: Strong<dyn IBench> = loop {
        match hub::check_interface::<dyn IBench>(name) {
            Ok(s) => break s,
            Err(e) if Instant::now() > deadline => fail(format!("checkService({name}): {e:?}")),
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    let data = vec![0x5au8; size];
    let call = || match svc.call(&data) {
        Ok(n) if n as usize == size => (),
        Ok(n) => fail(format!("call returned {n}, want {size}")),
        Err(e) => fail(format!("call: {e:?}")),
    };
    let (warm, run) = (Duration::from_secs_f64(secs / 10.0), Duration::from_secs_f64(secs));
    let t = Instant::now();
    let mut n = 0;
    while n < 5 || t.elapsed() < warm {
        call();
        n += 1;
    }
    let cap = 200_000;
    let mut lat: Vec<u64> = Vec::with_capacity(cap);
    let start = Instant::now();
    let mut end;
    loop {
        let t0 = Instant::now();
        call();
        end = Instant::now();
        lat.push((end - t0).as_nanos() as u64);
        if lat.len() >= cap || (end - start >= run && lat.len() >= 10) {
            break;
        }
    }
    let wall = (end - start).as_secs_f64();
    lat.sort_unstable();
    println!(
        "cell name={cell} calls={} calls_per_s={:.1} p50_ns={} p90_ns={} p99_ns={} max_ns={}",
        lat.len(),
        lat.len() as f64 / wall,
        pct(&lat, 50),
        pct(&lat, 90),
        pct(&lat, 99),
        lat[lat.len() - 1]
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let device = arg(&args, "--device").unwrap_or("/dev/binderfs/binder".to_owned());
    let name = arg(&args, "--name").unwrap_or("rb.bench.IBench/default".to_owned());
    match args.first().map(String::as_str) {
        Some("serve") => serve(&device, &name, arg(&args, "--ready-file")),
        Some("client") => {
            let cell = arg(&args, "--cell").unwrap_or("aidl_0B".to_owned());
            let size = arg(&args, "--size").and_then(|v| v.parse().ok()).unwrap_or(0);
            let secs = arg(&args, "--secs").and_then(|v| v.parse().ok()).unwrap_or(2.0);
            client(&device, &name, &cell, size, secs);
        }
        _ => {
            eprintln!("usage: rb-bench-aidl serve|client [--device PATH] [--name NAME] ...");
            std::process::exit(2);
        }
    }
}
