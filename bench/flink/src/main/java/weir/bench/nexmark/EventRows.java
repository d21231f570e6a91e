package weir.bench.nexmark;

import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.runtime.typeutils.InternalTypeInfo;
import org.apache.flink.table.types.logical.RowType;

/**
 * The events as Flink's internal rows (person, auction, bid: one set, two null), made in a map chained to the source.
 * The official suite's connector emits internal rows too; handing fromDataStream a RowData stream spares the per-event
 * conversion it would make from the Event POJO (a structured type), which cost more than the simple queries themselves.
 * Timestamps and watermarks pass through the map unchanged.
 */
final class EventRows {
  /** The official suite's ROW types (ddl_gen.sql) without bid.channel and bid.url; times are epoch milliseconds. */
  static final RowType TYPE = (RowType) DataTypes.ROW(
      DataTypes.FIELD("person", DataTypes.ROW(
          DataTypes.FIELD("id", DataTypes.BIGINT().notNull()),
          DataTypes.FIELD("name", DataTypes.STRING()),
          DataTypes.FIELD("emailAddress", DataTypes.STRING()),
          DataTypes.FIELD("creditCard", DataTypes.STRING()),
          DataTypes.FIELD("city", DataTypes.STRING()),
          DataTypes.FIELD("state", DataTypes.STRING()),
          DataTypes.FIELD("dateTime", DataTypes.BIGINT().notNull()),
          DataTypes.FIELD("extra", DataTypes.STRING()))),
      DataTypes.FIELD("auction", DataTypes.ROW(
          DataTypes.FIELD("id", DataTypes.BIGINT().notNull()),
          DataTypes.FIELD("itemName", DataTypes.STRING()),
          DataTypes.FIELD("description", DataTypes.STRING()),
          DataTypes.FIELD("initialBid", DataTypes.BIGINT().notNull()),
          DataTypes.FIELD("reserve", DataTypes.BIGINT().notNull()),
          DataTypes.FIELD("dateTime", DataTypes.BIGINT().notNull()),
          DataTypes.FIELD("expires", DataTypes.BIGINT().notNull()),
          DataTypes.FIELD("seller", DataTypes.BIGINT().notNull()),
          DataTypes.FIELD("category", DataTypes.BIGINT().notNull()),
          DataTypes.FIELD("extra", DataTypes.STRING()))),
      DataTypes.FIELD("bid", DataTypes.ROW(
          DataTypes.FIELD("auction", DataTypes.BIGINT().notNull()),
          DataTypes.FIELD("bidder", DataTypes.BIGINT().notNull()),
          DataTypes.FIELD("price", DataTypes.BIGINT().notNull()),
          DataTypes.FIELD("dateTime", DataTypes.BIGINT().notNull()),
          DataTypes.FIELD("extra", DataTypes.STRING()))))
      .getLogicalType();

  private EventRows() {}

  static DataStream<RowData> of(DataStream<Event> events) {
    return events.map(new ToRow()).returns(InternalTypeInfo.of(TYPE)).name("rows");
  }

  static class ToRow implements MapFunction<Event, RowData> {
    private static final long serialVersionUID = 1L;

    @Override
    public RowData map(Event e) {
      return GenericRowData.of(
          e.person == null ? null : person(e.person),
          e.auction == null ? null : auction(e.auction),
          e.bid == null ? null : bid(e.bid));
    }

    private static RowData person(Person p) {
      return GenericRowData.of(p.id, text(p.name), text(p.emailAddress), text(p.creditCard), text(p.city), text(p.state),
          p.dateTime, text(p.extra));
    }

    private static RowData auction(Auction a) {
      return GenericRowData.of(a.id, text(a.itemName), text(a.description), a.initialBid, a.reserve, a.dateTime, a.expires,
          a.seller, a.category, text(a.extra));
    }

    private static RowData bid(Bid b) {
      return GenericRowData.of(b.auction, b.bidder, b.price, b.dateTime, text(b.extra));
    }

    private static StringData text(String s) {
      return StringData.fromString(s);
    }
  }
}
