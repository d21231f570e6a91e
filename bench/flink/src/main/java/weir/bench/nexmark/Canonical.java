package weir.bench.nexmark;

import java.util.List;
import java.util.Map;
import org.apache.flink.types.Row;

/**
 * The canonical text of one result record, the same on every engine (bench/nexmark/canonical.ts): a JSON object of
 * the query's result fields in a fixed order; for q0, the event's JSON. The engines' result hashes are built on it.
 * A Flink SQL result arrives as a Row with named fields, read by name.
 */
final class Canonical {
  /** The result fields of each query, in canonical order (q0 has none: its results are events). */
  static final Map<String, List<String>> FIELDS = Map.of(
      "q1", List.of("auction", "bidder", "price", "dateTime"),
      "q2", List.of("auction", "price"),
      "q3", List.of("name", "city", "state", "auction"),
      "q5", List.of("auction", "count", "windowEnd"),
      "q7", List.of("auction", "bidder", "price", "dateTime", "extra", "windowEnd"),
      "q8", List.of("id", "name", "reserve"),
      "count", List.of("auction", "windowEnd", "count"));

  private Canonical() {}

  static String text(String query, Object record) {
    if (record instanceof Event e) return e.toJson();
    if (record instanceof Row row) return row(query, row);
    if (record instanceof Q1.Result r) return json("auction", r.auction, "bidder", r.bidder, "price", r.price, "dateTime", r.dateTime);
    if (record instanceof Q2.Result r) return json("auction", r.auction, "price", r.price);
    if (record instanceof Q3.Result r) return json("name", r.name, "city", r.city, "state", r.state, "auction", r.auction);
    if (record instanceof Q5.Result r) return json("auction", r.auction, "count", r.count, "windowEnd", r.windowEnd);
    if (record instanceof Q7.Result r) {
      return json("auction", r.auction, "bidder", r.bidder, "price", r.price, "dateTime", r.dateTime, "extra", r.extra, "windowEnd", r.windowEnd);
    }
    if (record instanceof Q8.Result r) return json("id", r.id, "name", r.name, "reserve", r.reserve);
    if (record instanceof WindowCount.Result r) return json("auction", r.auction, "windowEnd", r.windowEnd, "count", r.count);
    throw new IllegalArgumentException("no canonical text for a " + record.getClass().getName() + " of " + query);
  }

  /** A SQL row: the query's fields by name; q0's rows are bids, with the event's own fields. */
  private static String row(String query, Row row) {
    List<String> fields = query.equals("q0") ? List.of("kind", "auction", "bidder", "price", "dateTime", "extra") : FIELDS.get(query);
    if (fields == null) throw new IllegalArgumentException("no canonical fields for " + query);
    Object[] pairs = new Object[fields.size() * 2];
    for (int i = 0; i < fields.size(); i++) {
      String name = fields.get(i);
      pairs[2 * i] = name;
      pairs[2 * i + 1] = query.equals("q0") && name.equals("kind") ? "bid" : row.getField(name);
    }
    return json(pairs);
  }

  /** name, value, name, value...: numbers in decimal, strings quoted as JSON.stringify quotes them. */
  static String json(Object... pairs) {
    StringBuilder out = new StringBuilder(64).append('{');
    for (int i = 0; i < pairs.length; i += 2) {
      if (i > 0) out.append(',');
      quote(out, (String) pairs[i]).append(':');
      Object value = pairs[i + 1];
      if (value instanceof String s) quote(out, s);
      else if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) out.append(value);
      else throw new IllegalArgumentException("field " + pairs[i] + " is a " + (value == null ? "null" : value.getClass().getName()) + ", not an integer or a string");
    }
    return out.append('}').toString();
  }

  private static StringBuilder quote(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') out.append('\\').append(c);
      else if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
      else out.append(c);
    }
    return out.append('"');
  }
}
