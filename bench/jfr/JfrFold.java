// The peer of bench/jfr.bench.js: the JDK's own parser (jdk.jfr.consumer.RecordingFile)
// reading the events pyro reads and folding their stacks (package.Class.method,
// root first) into counts, as pyro does.
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

public class JfrFold {
  static final Set<String> EVENTS = Set.of(
      "jdk.ExecutionSample", "jdk.NativeMethodSample", "jdk.ObjectAllocationInNewTLAB",
      "jdk.ObjectAllocationOutsideTLAB", "jdk.ObjectAllocationSample", "jdk.JavaMonitorEnter", "jdk.ThreadPark");

  public static void main(String[] args) throws Exception {
    Map<String, long[]> stacks = new HashMap<>();
    long events = 0;
    try (RecordingFile file = new RecordingFile(Path.of(args[0]))) {
      while (file.hasMoreEvents()) {
        RecordedEvent e = file.readEvent();
        if (!EVENTS.contains(e.getEventType().getName())) continue;
        events++;
        StringBuilder sb = new StringBuilder();
        RecordedStackTrace st = e.getStackTrace();
        if (st != null) {
          List<RecordedFrame> frames = st.getFrames();
          for (int i = frames.size() - 1; i >= 0; i--) {
            RecordedMethod m = frames.get(i).getMethod();
            if (sb.length() > 0) sb.append(';');
            sb.append(m.getType().getName()).append('.').append(m.getName());
          }
        }
        stacks.computeIfAbsent(sb.toString(), k -> new long[1])[0]++;
      }
    }
    System.out.println(events + " events, " + stacks.size() + " stacks");
  }
}
