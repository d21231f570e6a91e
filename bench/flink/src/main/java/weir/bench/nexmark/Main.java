package weir.bench.nexmark;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.lang.reflect.Method;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Runs one Nexmark query on Flink's local environment and prints one JSON line on stdout (bench/README.md):
 *   --query q0|q1|q2|q3|q5|q7|q8|count --parallelism P --events N --warmup W --seed S [--api datastream|sql] [--hash true]
 * --api sql runs the query's Flink SQL variant (SqlQueries, when the classpath has it); --hash true makes a
 * verification run, whose sinks hash every result (ResultDigest). Or prints the queries the SQL variants cover, as a
 * JSON array: --api sql --list-queries true
 * or prints events from..from+N-1 as JSON lines, byte for byte JSON.stringify's output of bench/nexmark/generator.ts:
 *   --print-events N --seed S [--from F]
 */
public final class Main {
  /** The SQL variants live in their own class; looked up by name so that the DataStream side builds without it. */
  private static final String SQL_QUERIES = "weir.bench.nexmark.SqlQueries";

  private Main() {}

  @SuppressWarnings("deprecation") // addSource: the legacy source, see NexmarkSource
  public static void main(String[] argv) throws Exception {
    Map<String, String> args = parse(argv);
    if (args.containsKey("print-events")) {
      printEvents(Long.parseLong(args.get("print-events")), Long.parseLong(args.getOrDefault("from", "0")), Long.parseLong(need(args, "seed")));
      return;
    }
    String api = args.getOrDefault("api", "datastream");
    if (!api.equals("datastream") && !api.equals("sql")) throw new IllegalArgumentException("--api must be datastream or sql, got " + api);
    if (args.containsKey("list-queries")) {
      System.out.println(api.equals("sql") ? sqlQueries() : "[\"q0\",\"q1\",\"q2\",\"q3\",\"q5\",\"q7\",\"q8\",\"count\"]");
      return;
    }
    String query = need(args, "query");
    int parallelism = Integer.parseInt(need(args, "parallelism"));
    long events = Long.parseLong(need(args, "events"));
    long warmup = Long.parseLong(need(args, "warmup"));
    long seed = Long.parseLong(need(args, "seed"));
    boolean hash = Boolean.parseBoolean(args.getOrDefault("hash", "false"));
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
    DataStream<?> results = api.equals("sql") ? buildSql(query, env, source) : build(query, source);
    CountingSink.attach(results, query, hash);
    env.execute("nexmark-" + query);

    if (Marks.SINK_ENDS.size() != parallelism || Marks.SOURCE_STARTS.size() != parallelism) {
      throw new IllegalStateException("marks missing: sources " + Marks.SOURCE_STARTS + ", sinks " + Marks.SINK_ENDS);
    }
    System.out.println(line(query, api, parallelism, events, warmup, hash));
    System.out.flush();
  }

  /** The JSON line (bench/nexmark.ts reads it; the fields are weir's, see bench/nexmark/measure.ts). */
  private static String line(String query, String api, int parallelism, long events, long warmup, boolean hash) {
    Marks.Moment start = Marks.start();
    Marks.Moment end = Marks.end();
    long elapsedMs = end.atMs() - start.atMs();
    long measured = events - warmup;
    double spanCpuSeconds = (end.cpuNanos() - start.cpuNanos()) / 1e9;
    StringBuilder json = new StringBuilder()
        .append("{\"bench\":\"nexmark-").append(query)
        .append("\",\"engine\":\"").append(api.equals("sql") ? "flink-sql" : "flink")
        .append("\",\"api\":\"").append(api)
        .append("\",\"parallelism\":").append(parallelism)
        .append(",\"events\":").append(measured)
        .append(",\"eventsPerSec\":").append(Math.round(measured / (elapsedMs / 1000.0)))
        .append(",\"eventsPerCpuSecond\":").append(Math.round(measured / spanCpuSeconds))
        .append(",\"spanCpuSeconds\":").append(decimals(spanCpuSeconds, 3))
        .append(",\"cpuAtStartSeconds\":").append(decimals(start.cpuNanos() / 1e9, 3))
        .append(",\"cpuAtEndSeconds\":").append(decimals(end.cpuNanos() / 1e9, 3))
        .append(",\"cpuSeconds\":").append(decimals(Marks.cpuNanos() / 1e9, 2))
        .append(",\"rssAtStartMb\":").append(Math.round(start.rssKb() / 1024.0))
        .append(",\"peakRssMb\":").append(Math.round(Marks.ProcStatus.kb("VmHWM:") / 1024.0))
        .append(",\"peakRssScope\":\"").append(Marks.peakResetAtStart ? "span" : "process")
        .append("\",\"results\":").append(Marks.RESULTS.get());
    if (hash) json.append(",\"resultHash\":\"").append(ResultDigest.hex(Marks.DIGEST.get())).append('"');
    if (api.equals("sql")) json.append(",\"sameResultsAsDataStream\":").append(sqlSameResults(query));
    return json
        .append(",\"totalEvents\":").append(events)
        .append(",\"warmupEvents\":").append(warmup)
        .append(",\"spanStartMs\":").append(start.atMs())
        .append(",\"spanEndMs\":").append(end.atMs())
        .append(",\"runningSeconds\":").append(decimals(elapsedMs / 1000.0, 3))
        .append(",\"maxHeapMb\":").append(Runtime.getRuntime().maxMemory() / (1024 * 1024))
        .append('}')
        .toString();
  }

  private static DataStream<?> buildSql(String query, StreamExecutionEnvironment env, DataStream<Event> events) throws ReflectiveOperationException {
    Method build = sqlClass().getMethod("build", String.class, StreamExecutionEnvironment.class, DataStream.class);
    return (DataStream<?>) build.invoke(null, query, env, events);
  }

  /** The SQL queries as a JSON array, e.g. ["q0","q1"]; [] when this build has no SQL variants. */
  private static String sqlQueries() throws ReflectiveOperationException {
    Class<?> sql;
    try {
      sql = sqlClass();
    } catch (ClassNotFoundException e) {
      return "[]";
    }
    @SuppressWarnings("unchecked")
    List<String> names = (List<String>) sql.getMethod("supported").invoke(null);
    return names.stream().map(name -> "\"" + name + "\"").collect(Collectors.joining(",", "[", "]"));
  }

  /** Whether the SQL variant computes exactly weir's results (SqlQueries.sameResultsAsDataStream), else false. */
  private static boolean sqlSameResults(String query) {
    try {
      return (Boolean) sqlClass().getMethod("sameResultsAsDataStream", String.class).invoke(null, query);
    } catch (ReflectiveOperationException e) {
      return false;
    }
  }

  private static Class<?> sqlClass() throws ClassNotFoundException {
    return Class.forName(SQL_QUERIES);
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
