// rust_binder benchmarks: the rsbinder AIDL round-trip cell.
package rb.bench;

interface IBench {
    // Returns data.length: a synchronous call with a byte-array request and
    // a 4-byte reply (plus AIDL's status header).
    int call(in byte[] data);
}
