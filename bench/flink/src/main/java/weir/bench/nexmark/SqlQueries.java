package weir.bench.nexmark;

import static org.apache.flink.table.api.Expressions.$;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.ApiExpression;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.TableConfig;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.expressions.Expression;
import org.apache.flink.table.types.DataType;
import org.apache.flink.table.types.logical.LogicalTypeRoot;
import org.apache.flink.types.Row;

/**
 * The Flink SQL variants of the Nexmark queries (bench/README.md, "Flink SQL"), run by Main with --api sql. The events
 * are the DataStream side's own stream (NexmarkSource with its timestamps and watermarks), as internal rows (EventRows),
 * registered as the table `events` with fromDataStream, so both APIs read the very same events, event times and
 * watermarks. The queries are the
 * official nexmark suite's SQL where weir's query is the same, adapted where it is not: each .sql file under
 * resources/sql says how. The results leave SQL as Rows with named fields, times as epoch milliseconds (Canonical).
 */
public final class SqlQueries {
  /** Query name to whether its SQL computes exactly weir's (and the DataStream query's) results. */
  private static final Map<String, Boolean> SAME_RESULTS = Map.of(
      "q0", false, // the official q0 passes bids only; weir's q0 passes every event
      "q1", true,
      "q2", true,
      "q3", true,
      "q5", true,
      "q7", true,
      "q8", true,
      "count", true);
  private static final List<String> QUERIES = List.of("q0", "q1", "q2", "q3", "q5", "q7", "q8", "count");

  private SqlQueries() {}

  public static List<String> supported() {
    return QUERIES;
  }

  public static boolean sameResultsAsDataStream(String query) {
    Boolean same = SAME_RESULTS.get(query);
    if (same == null) throw new IllegalArgumentException("no SQL variant of " + query + " (" + String.join(", ", QUERIES) + ")");
    return same;
  }

  /** The query's results as a stream of Rows, built on the same environment as the source. */
  public static DataStream<Row> build(String query, StreamExecutionEnvironment env, DataStream<Event> events) {
    sameResultsAsDataStream(query); // an unknown query fails here, with the list
    StreamTableEnvironment tables = StreamTableEnvironment.create(env, EnvironmentSettings.inStreamingMode());
    configure(tables.getConfig());
    tables.createTemporaryView("events", tables.fromDataStream(EventRows.of(events), Schema.newBuilder()
        // The event time is the stream record's timestamp (Event.eventTime(), set by Main's timestamp assigner) and
        // the watermarks are the source's own, so windows close exactly where the DataStream side's do.
        .columnByMetadata("dateTime", DataTypes.TIMESTAMP_LTZ(3), "rowtime")
        .watermark("dateTime", "SOURCE_WATERMARK()")
        .build()));
    for (String statement : statements(resource("views.sql"))) tables.executeSql(statement);
    Table results = withEpochMillis(tables.sqlQuery(resource(query + ".sql")));
    return tables.toDataStream(results, bridgedToLong(results));
  }

  /**
   * The table options the official suite sets in its conf/config.yaml (mini-batches of up to 50,000 rows or 2 s, which
   * its regular aggregations and joins use), and UTC as the session time zone, so that TIMESTAMP window bounds turn
   * into the epoch milliseconds they stand for. Checkpointing and RocksDB stay off, as on the DataStream side.
   */
  private static void configure(TableConfig config) {
    config.setLocalTimeZone(ZoneOffset.UTC);
    config.set("table.exec.mini-batch.enabled", "true");
    config.set("table.exec.mini-batch.allow-latency", "2 s");
    config.set("table.exec.mini-batch.size", "50000");
  }

  /** TIMESTAMP columns (window bounds) as TIMESTAMP_LTZ, read in UTC; the others as they are. */
  private static Table withEpochMillis(Table table) {
    List<Column> columns = table.getResolvedSchema().getColumns();
    List<Expression> select = new ArrayList<>(columns.size());
    for (Column column : columns) {
      LogicalTypeRoot root = column.getDataType().getLogicalType().getTypeRoot();
      ApiExpression field = $(column.getName());
      select.add(root == LogicalTypeRoot.TIMESTAMP_WITHOUT_TIME_ZONE
          ? field.cast(DataTypes.TIMESTAMP_LTZ(3)).as(column.getName())
          : field);
    }
    return table.select(select.toArray(new Expression[0]));
  }

  /** The table's row type with every TIMESTAMP_LTZ column bridged to Long: epoch milliseconds, as Canonical wants. */
  private static DataType bridgedToLong(Table table) {
    List<DataTypes.Field> fields = new ArrayList<>();
    for (Column column : table.getResolvedSchema().getColumns()) {
      DataType type = column.getDataType();
      if (type.getLogicalType().getTypeRoot() == LogicalTypeRoot.TIMESTAMP_WITH_LOCAL_TIME_ZONE) type = type.bridgedTo(Long.class);
      fields.add(DataTypes.FIELD(column.getName(), type));
    }
    return DataTypes.ROW(fields.toArray(new DataTypes.Field[0])).bridgedTo(Row.class);
  }

  private static String resource(String name) {
    try (InputStream in = SqlQueries.class.getResourceAsStream("/sql/" + name)) {
      if (in == null) throw new IllegalStateException("no resource sql/" + name + " on the classpath");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read sql/" + name, e);
    }
  }

  /** The statements of a script: split at semicolons that end a line (the scripts have no other). */
  private static List<String> statements(String script) {
    List<String> statements = new ArrayList<>();
    for (String part : script.split(";\\s*(\\n|$)")) {
      if (!part.lines().allMatch(line -> line.isBlank() || line.strip().startsWith("--"))) statements.add(part);
    }
    return statements;
  }
}
