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

    // file descriptors: a ParcelFileDescriptor is one BINDER_TYPE_FD object
    // The read end of a new pipe holding data (at most 64 KiB). The service
    // keeps no end of the pipe: the reader sees EOF after the data.
    ParcelFileDescriptor pipeWithData(in byte[] data);
    // write(2)s data to fd at its current offset; returns the bytes written.
    int writeFd(in ParcelFileDescriptor fd, in byte[] data);
    // The contents of fd: a regular file from offset 0 (pread), anything
    // else (a pipe) read to EOF (at most 64 KiB, 10 s).
    byte[] readFd(in ParcelFileDescriptor fd);
    // What the service sees of fd: {st_dev, st_ino, st_mode & S_IFMT, st_size,
    // lseek(fd, 0, SEEK_CUR) (-1 for a pipe), fcntl(F_GETFL) & O_ACCMODE}.
    long[] fdInfo(in ParcelFileDescriptor fd);
    // n new fds (n <= 16): fd i holds fdText(i, n) (lib.rs); a memfd at
    // offset 0 for even i, the read end of a pipe for odd i.
    ParcelFileDescriptor[] makeFds(int n);
    // readFd of each fd, as UTF-8 text.
    String[] readFds(in ParcelFileDescriptor[] fds);
    // The number of fds the service has open (entries of /proc/self/fd).
    int countFds();

    // shared memory: a memfd passed as a ParcelFileDescriptor, mapped by both
    // sides. pattern(seed, i) is in lib.rs.
    // Creates a size-byte memfd (rsbinder SharedMemory: sealed against grow
    // and shrink), fills byte i with pattern(seed, i), keeps it mapped as the
    // service's region and returns its fd.
    ParcelFileDescriptor shmCreate(int size, int seed);
    // Maps the caller's memfd (MAP_SHARED, read-write) as the service's
    // region, replacing any previous one; then as shmCheck(seed, nextSeed).
    int shmAttach(in ParcelFileDescriptor fd, int seed, int nextSeed);
    // Through the service's own mapping: the index of the first byte that is
    // not pattern(seed, i), or -1 if all are; then fills the region with
    // pattern(nextSeed, i). InvalidOperation without a region.
    int shmCheck(int seed, int nextSeed);
    // Drops the region (unmaps, closes its fd); returns whether one existed.
    boolean shmRelease();
}
