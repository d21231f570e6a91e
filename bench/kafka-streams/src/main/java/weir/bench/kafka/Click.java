package weir.bench.kafka;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * An input record (one click, n = 1) and an output record (the user's running count): the JSON of
 * bench/kafka-topics.ts `Click`. The property order makes the output byte for byte what weir's sink writes
 * (JSON.stringify of `{user, n}`).
 */
@JsonPropertyOrder({"user", "n"})
public record Click(String user, long n) {}
