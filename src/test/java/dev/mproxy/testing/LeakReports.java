package dev.mproxy.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import io.netty.util.ResourceLeakTracker;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Collects Netty's leak reports instead of only logging them, so a test that leaks a buffer fails. Installed
 * by {@link LeakDetectionSession} before any buffer class is initialised.
 */
public final class LeakReports {

    private static final ConcurrentLinkedQueue<String> REPORTS = new ConcurrentLinkedQueue<>();
    /** One detector per tracked type: buffers, and others such as {@code HAProxyMessage}. */
    private static final ConcurrentLinkedQueue<RecordingDetector<?>> DETECTORS = new ConcurrentLinkedQueue<>();

    private LeakReports() {
    }

    static void install() {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ResourceLeakDetectorFactory() {
            @Override
            public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
                                                                       long maxActive) {
                return new RecordingDetector<>(resource, samplingInterval);
            }
        });
    }

    /**
     * Makes unreachable leaked buffers and other tracked objects visible: collect garbage, then allocate and
     * probe every detector, because a detector reports what the collector found only when it tracks the next
     * object. Returns and clears the reports.
     */
    public static List<String> collect() {
        for (int round = 0; round < 3; round++) {
            System.gc();
            System.runFinalization();
            for (int i = 0; i < 16; i++) {
                ByteBuf pooled = PooledByteBufAllocator.DEFAULT.buffer(8);
                ByteBuf heap = UnpooledByteBufAllocator.DEFAULT.heapBuffer(8);
                ByteBuf direct = UnpooledByteBufAllocator.DEFAULT.directBuffer(8);
                pooled.release();
                heap.release();
                direct.release();
            }
            for (RecordingDetector<?> detector : DETECTORS) {
                detector.probe();
            }
        }
        List<String> reports = new ArrayList<>();
        String report;
        while ((report = REPORTS.poll()) != null) {
            reports.add(report);
        }
        return reports;
    }

    private static final class RecordingDetector<T> extends ResourceLeakDetector<T> {

        RecordingDetector(Class<T> resourceType, int samplingInterval) {
            super(resourceType, samplingInterval);
            DETECTORS.add(this);
        }

        /** Tracks and closes a stand-in, which makes this detector report what the collector found. */
        @SuppressWarnings("unchecked")
        void probe() {
            T standIn = (T) new Object(); // never used as a T: the detector only holds a weak reference to it
            ResourceLeakTracker<T> tracker = track(standIn);
            if (tracker != null) {
                tracker.close(standIn);
            }
        }

        @Override
        protected boolean needReport() {
            return true;
        }

        @Override
        protected void reportTracedLeak(String resourceType, String records) {
            REPORTS.add("LEAK: " + resourceType + " was not released." + records);
        }

        @Override
        protected void reportUntracedLeak(String resourceType) {
            REPORTS.add("LEAK: " + resourceType + " was not released (no records).");
        }
    }
}
