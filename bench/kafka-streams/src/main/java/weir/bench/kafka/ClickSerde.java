package weir.bench.kafka;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/** JSON values through Jackson, as a Kafka Streams application would read and write them. */
final class ClickSerde {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private ClickSerde() {}

  static Serde<Click> create() {
    Serializer<Click> serializer = (topic, click) -> {
      if (click == null) return null;
      try {
        return MAPPER.writeValueAsBytes(click);
      } catch (IOException e) {
        throw new SerializationException("cannot write " + click + " as JSON", e);
      }
    };
    Deserializer<Click> deserializer = (topic, bytes) -> {
      if (bytes == null) throw new SerializationException("a record of " + topic + " has no value");
      try {
        return MAPPER.readValue(bytes, Click.class);
      } catch (IOException e) {
        throw new SerializationException("a record of " + topic + " is not a click: " + e.getMessage(), e);
      }
    };
    return Serdes.serdeFrom(serializer, deserializer);
  }
}
