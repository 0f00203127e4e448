// rust_binder Android userspace test: a structured parcelable.
package rb.android;

@RustDerive(Clone=true, PartialEq=true)
parcelable Point {
    int x;
    int y;
    long tag;
    String label;
}
