package weir.bench.nexmark;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.lang.management.ManagementFactory;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Runs one Nexmark query on Flink's local environment and prints one JSON line on stdout (bench/README.md):
 *   --query q0|q1|q2|q3|q5|q7|q8|count --parallelism P --events N --warmup W --seed S
 * or prints events from..from+N-1 as JSON lines, byte for byte JSON.stringify's output of bench/nexmark/generator.ts:
 *   --print-events N --seed S [--from F]
 */
public final class Main {
  private Main() {}

  @SuppressWarnings("deprecation") // addSource: the legacy source, see NexmarkSource
  public static void main(String[] argv) throws Exception {
    Map<String, String> args = parse(argv);
    if (args.containsKey("print-events")) {
      printEvents(Long.parseLong(args.get("print-events")), Long.parseLong(args.getOrDefault("from", "0")), Long.parseLong(need(args, "seed")));
      return;
    }
    String query = need(args, "query");
    int parallelism = Integer.parseInt(need(args, "parallelism"));
    long events = Long.parseLong(need(args, "events"));
    long warmup = Long.parseLong(need(args, "warmup"));
    long seed = Long.parseLong(need(args, "seed"));
    if (warmup < 0 || warmup >= events) throw new IllegalArgumentException("--warmup must be in [0, events), got " + warmup);
    if (parallelism < 1 || 128 % parallelism != 0) {
      // Other parallelisms would spread events over subtasks unlike weir's 128 lanes.
      throw new IllegalArgumentException("--parallelism must divide 128, got " + parallelism);
    }

    // Fails the job if any type would go through Kryo (env.getConfig().disableGenericTypes(), deprecated in 1.20):
    // every record and state type is a POJO or a Flink type.
    Configuration conf = new Configuration();
    conf.set(PipelineOptions.GENERIC_TYPES, false);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism, conf);
    env.getConfig().enableObjectReuse();

    DataStream<Event> source = env
        .addSource(new NexmarkSource(events, warmup, seed), "nexmark", TypeInformation.of(Event.class))
        .assignTimestampsAndWatermarks(WatermarkStrategy.<Event>forMonotonousTimestamps().withTimestampAssigner((e, t) -> e.eventTime()))
        .name("timestamps");
    CountingSink.attach(build(query, source));
    env.execute("nexmark-" + query);

    if (Marks.SINK_ENDS.size() != parallelism || Marks.SOURCE_STARTS.size() != parallelism) {
      throw new IllegalStateException("marks missing: sources " + Marks.SOURCE_STARTS + ", sinks " + Marks.SINK_ENDS);
    }
    long elapsedMs = Marks.end() - Marks.start();
    long measured = events - warmup;
    double cpuSeconds = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
    String json = "{\"bench\":\"nexmark-" + query + "\",\"engine\":\"flink\",\"parallelism\":" + parallelism
        + ",\"events\":" + measured
        + ",\"eventsPerSec\":" + Math.round(measured / (elapsedMs / 1000.0))
        + ",\"cpuSeconds\":" + decimals(cpuSeconds, 2)
        + ",\"peakRssMb\":" + peakRssMb()
        + ",\"results\":" + Marks.RESULTS.get()
        + ",\"totalEvents\":" + events
        + ",\"warmupEvents\":" + warmup
        + ",\"runningSeconds\":" + decimals(elapsedMs / 1000.0, 3) + "}";
    System.out.println(json);
    System.out.flush();
  }

  static DataStream<?> build(String query, DataStream<Event> events) {
    switch (query) {
      case "q0": return Q0.build(events);
      case "q1": return Q1.build(events);
      case "q2": return Q2.build(events);
      case "q3": return Q3.build(events);
      case "q5": return Q5.build(events);
      case "q7": return Q7.build(events);
      case "q8": return Q8.build(events);
      case "count": return WindowCount.build(events);
      default: throw new IllegalArgumentException("unknown query " + query + " (q0, q1, q2, q3, q5, q7, q8, count)");
    }
  }

  private static void printEvents(long count, long from, long seed) throws IOException {
    NexmarkGenerator generator = new NexmarkGenerator();
    RecordRandom random = new RecordRandom();
    BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
    for (long n = from; n < from + count; n++) {
      random.reseed(seed, n);
      out.write(generator.event(n, random).toJson());
      out.write('\n');
    }
    out.flush();
  }

  /** VmHWM, the process's peak resident set, in MiB. */
  private static long peakRssMb() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmHWM:")) {
        long kb = Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
        return Math.round(kb / 1024.0);
      }
    }
    throw new IllegalStateException("no VmHWM in /proc/self/status");
  }

  /** Rounded to `places` decimals and printed as JavaScript prints a number (no trailing zeros). */
  private static String decimals(double value, int places) {
    return BigDecimal.valueOf(value).setScale(places, RoundingMode.HALF_UP).stripTrailingZeros().toPlainString();
  }

  private static Map<String, String> parse(String[] argv) {
    Map<String, String> args = new HashMap<>();
    for (int i = 0; i < argv.length; i++) {
      if (!argv[i].startsWith("--") || i + 1 >= argv.length) throw new IllegalArgumentException("expected --name value, got " + argv[i]);
      args.put(argv[i].substring(2), argv[++i]);
    }
    return args;
  }

  private static String need(Map<String, String> args, String name) {
    String value = args.get(name);
    if (value == null) throw new IllegalArgumentException("missing --" + name);
    return value;
  }
}
