package weir.bench.nexmark;

import java.util.Set;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.co.KeyedCoProcessFunction;
import org.apache.flink.util.Collector;

/**
 * q3, local item suggestion: persons of OR, ID or CA joined with the auctions of category 10 they sell, as they arrive.
 * Keyed by person id / seller: the person is kept; an auction whose seller has not arrived yet waits in keyed state.
 */
public final class Q3 {
  private static final Set<String> STATES = Set.of("OR", "ID", "CA");
  private static final long CATEGORY = 10;

  private Q3() {}

  public static class Result {
    public String name;
    public String city;
    public String state;
    public long auction;

    public Result() {}

    public Result(String name, String city, String state, long auction) {
      this.name = name;
      this.city = city;
      this.state = state;
      this.auction = auction;
    }
  }

  public static DataStream<?> build(DataStream<Event> events) {
    DataStream<Person> persons = events
        .filter(e -> e.person != null && STATES.contains(e.person.state)).name("q3-persons")
        .map(e -> e.person).name("person");
    DataStream<Auction> auctions = events
        .filter(e -> e.auction != null && e.auction.category == CATEGORY).name("q3-auctions")
        .map(e -> e.auction).name("auction");
    return persons.connect(auctions).keyBy(p -> p.id, a -> a.seller).process(new Join()).name("q3-join");
  }

  static class Join extends KeyedCoProcessFunction<Long, Person, Auction, Result> {
    private static final long serialVersionUID = 1L;

    private transient ValueState<Person> person;
    private transient ListState<Auction> waiting;

    @Override
    public void open(OpenContext openContext) {
      person = getRuntimeContext().getState(new ValueStateDescriptor<>("person", Person.class));
      waiting = getRuntimeContext().getListState(new ListStateDescriptor<>("waiting", Auction.class));
    }

    @Override
    public void processElement1(Person p, Context ctx, Collector<Result> out) throws Exception {
      person.update(p);
      Iterable<Auction> auctions = waiting.get();
      if (auctions != null) {
        for (Auction a : auctions) out.collect(new Result(p.name, p.city, p.state, a.id));
        waiting.clear();
      }
    }

    @Override
    public void processElement2(Auction a, Context ctx, Collector<Result> out) throws Exception {
      Person p = person.value();
      if (p != null) {
        out.collect(new Result(p.name, p.city, p.state, a.id));
      } else {
        waiting.add(a);
      }
    }
  }
}
