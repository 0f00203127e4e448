// rust_binder Android userspace test: the service under test.
package rb.android;

import rb.android.ITestCallback;
import rb.android.Point;

interface ITestService {
    // ints
    int add(int a, int b);
    long mulLong(long a, long b);
    int getPid();
    // strings
    String echo(String s);
    String join(in String[] parts, String sep);
    // arrays
    int[] reverse(in int[] v);
    long sum(in int[] v);
    byte[] xorBytes(in byte[] data, byte key);
    // parcelables
    Point movePoint(in Point p, int dx, int dy);
    Point[] sortByX(in Point[] pts);
    // errors: always throws a service-specific error (code, "fail: " + why)
    void fail(int code, String why);
    // callbacks
    // Stores cb, calls cb.onEvent(code, msg) synchronously (nested transaction
    // back into the caller) and returns what the callback returned.
    int registerCallback(ITestCallback cb, int code, String msg);
    // True when cb is the binder stored by registerCallback (same proxy/handle).
    boolean isSameCallback(ITestCallback cb);
    // Hands the stored callback back to its owner.
    ITestCallback getCallback();
    // From a new service thread, calls cb.onAsyncEvent(code, msg) (one-way).
    void fireAsync(int code, String msg);
    // Drops the stored callback; returns whether one was stored.
    boolean unregisterCallback();
}
