// rust_binder Android userspace test: the callback the client hands the service.
package rb.android;

interface ITestCallback {
    // Synchronous call back into the client; returns code * 2 + msg.length().
    int onEvent(int code, String msg);
    // One-way call back, sent from a service thread outside any transaction.
    oneway void onAsyncEvent(int code, String msg);
}
