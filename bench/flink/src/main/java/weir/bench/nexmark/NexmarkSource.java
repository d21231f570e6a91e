package weir.bench.nexmark;

import org.apache.flink.streaming.api.functions.source.RichParallelSourceFunction;

/**
 * The Nexmark events as a parallel source: subtask s of p emits event numbers s, s + p, s + 2p, ... below `events`, in
 * order, as weir's generator source does when p divides its 128 lanes. The legacy SourceFunction API (deprecated, still
 * in 1.20) gives a plain loop with no split machinery between the generator and the job, as weir's source is.
 */
@SuppressWarnings("deprecation")
public class NexmarkSource extends RichParallelSourceFunction<Event> {
  private static final long serialVersionUID = 1L;

  private final long events;
  private final long warmup;
  private final long seed;
  private volatile boolean running = true;

  public NexmarkSource(long events, long warmup, long seed) {
    this.events = events;
    this.warmup = warmup;
    this.seed = seed;
  }

  @Override
  public void run(SourceContext<Event> ctx) {
    int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
    int parallelism = getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks();
    NexmarkGenerator generator = new NexmarkGenerator();
    RecordRandom random = new RecordRandom();
    Object lock = ctx.getCheckpointLock();
    boolean marked = false;
    for (long n = subtask; n < events && running; n += parallelism) {
      // The warm-up mark comes before the event is made, as weir's onEvent hook does.
      if (!marked && n >= warmup) {
        Marks.sourceStarted(subtask);
        marked = true;
      }
      random.reseed(seed, n);
      Event event = generator.event(n, random);
      synchronized (lock) {
        ctx.collect(event);
      }
    }
  }

  @Override
  public void cancel() {
    running = false;
  }
}
