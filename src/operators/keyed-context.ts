import type { KeyedEndOfInputContext, OnTimerContext, TimerService } from './functions.ts';
import type { AnyStateDescriptor, StateHandleFor } from '../state/descriptors.ts';
import type { KeyedStateBackend } from '../state/backend.ts';
import type { OperatorContext, OperatorOutput } from './operator.ts';
import { VOID_NAMESPACE } from '../state/backend.ts';
import { InternalTimerService, type Timer } from '../state/timers.ts';
import { ProcessContextImpl } from './process.ts';

/** User-facing timers of a keyed function: one namespace, timers of the current key. */
class KeyedTimerService implements TimerService {
  constructor(private readonly timers: InternalTimerService) {}
  currentWatermark(): number {
    return this.timers.currentWatermark;
  }
  currentProcessingTime(): number {
    return this.timers.currentProcessingTime();
  }
  registerEventTimeTimer(timestamp: number): void {
    this.timers.registerEventTimeTimer(VOID_NAMESPACE, timestamp);
  }
  deleteEventTimeTimer(timestamp: number): void {
    this.timers.deleteEventTimeTimer(VOID_NAMESPACE, timestamp);
  }
  registerProcessingTimeTimer(timestamp: number): void {
    this.timers.registerProcessingTimeTimer(VOID_NAMESPACE, timestamp);
  }
  deleteProcessingTimeTimer(timestamp: number): void {
    this.timers.deleteProcessingTimeTimer(VOID_NAMESPACE, timestamp);
  }
}

/**
 * The context of keyed process and co-process functions: current key, state, timers, side outputs. One instance per
 * subtask; it also serves as the onTimer context, with the time domain of the firing timer.
 */
export class KeyedContextImpl<K> extends ProcessContextImpl implements OnTimerContext<K> {
  readonly timerService: TimerService;
  readonly timers: InternalTimerService;
  timeDomain: 'event' | 'processing' = 'event';

  constructor(
    op: OperatorContext,
    out: OperatorOutput<unknown>,
    private readonly backend: KeyedStateBackend,
    onTimer: ((timestamp: number, ctx: OnTimerContext<K>) => void) | undefined,
  ) {
    super(op, out);
    const fire = (timer: Timer, domain: 'event' | 'processing'): void => {
      if (onTimer === undefined) throw new TypeError('a timer fired but the function has no onTimer');
      this.timeDomain = domain;
      backend.setCurrentNamespace(VOID_NAMESPACE);
      op.time.timestamp = timer.timestamp;
      onTimer(timer.timestamp, this);
    };
    this.timers = new InternalTimerService('user', backend, op.processingTime, {
      onEventTime: (timer) => fire(timer, 'event'),
      onProcessingTime: (timer) => fire(timer, 'processing'),
    });
    this.timerService = new KeyedTimerService(this.timers);
  }

  get currentKey(): K {
    return this.backend.currentKey as K;
  }

  getState<D extends AnyStateDescriptor>(descriptor: D): StateHandleFor<D> {
    return this.backend.getState(descriptor);
  }

  /** The end-of-input context: runs a function for every key with state. */
  endOfInput(): KeyedEndOfInputContext<K> {
    const backend = this.backend;
    return {
      jobName: this.jobName,
      operatorName: this.operatorName,
      subtaskIndex: this.subtaskIndex,
      parallelism: this.parallelism,
      threadId: this.threadId,
      applyToAllKeys: (fn) => {
        for (const key of [...backend.keys()]) {
          backend.setCurrentKey(key);
          backend.setCurrentNamespace(VOID_NAMESPACE);
          fn(key as K, this);
        }
      },
    };
  }
}

/** Runs a user call with the operator's error wrapping: the failure names the operator and the record. */
export function guarded(op: OperatorContext, record: unknown, call: () => void): void {
  try {
    call();
  } catch (error) {
    throw op.fail(error, record);
  }
}

