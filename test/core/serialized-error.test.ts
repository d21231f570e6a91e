import { describe, expect, it } from 'vitest';
import { MessageChannel } from 'node:worker_threads';
import { FatalError, JobDefinitionError, OperatorError, WeirError, isFatal } from '../../src/core/errors.ts';
import { reviveError, serializeError, type SerializedError } from '../../src/core/serialized-error.ts';

/** Sends plain data through a real MessagePort (structured clone), as a worker's failure travels. */
async function throughPort(data: SerializedError): Promise<SerializedError> {
  const { port1, port2 } = new MessageChannel();
  const received = new Promise<SerializedError>((resolve) => port2.once('message', resolve));
  port1.postMessage(data);
  const result = await received;
  port1.close();
  return result;
}

class PricingError extends Error {
  override name = 'PricingError';
}

describe('errors crossing a thread', () => {
  it('keep class, code, flags, operator fields, messages and stacks along the cause chain', async () => {
    const system = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
    const user = new PricingError('no price for sku 7\nsecond line', { cause: system });
    const operatorError = new OperatorError('price', '2/4', 'PricingError: no price for sku 7', '{"sku":7}', { cause: user, retriable: true });

    const revived = reviveError(await throughPort(serializeError(operatorError)));
    expect(revived).toBeInstanceOf(OperatorError);
    const op = revived as OperatorError;
    expect([op.operator, op.subtask, op.recordPreview, op.code, op.retriable, op.fatal]).toEqual(['price', '2/4', '{"sku":7}', 'WEIR_OPERATOR_FAILED', true, false]);
    expect(op.message).toBe(operatorError.message);
    expect(op.userFrame).toBe(operatorError.userFrame);
    expect(op.stack).toBe(operatorError.stack);

    const cause = op.cause as Error;
    expect(cause.name).toBe('PricingError');
    expect(cause.message).toBe('no price for sku 7\nsecond line');
    expect(cause.stack).toBe(user.stack);
    expect(cause.stack).toContain('serialized-error.test.ts:'); // the frame where the user's error was made
    const root = cause.cause as Error & { code?: string };
    expect([root.message, root.code]).toEqual(['ENOENT: no such file', 'ENOENT']);
  });

  it('keep a fatal mark deep in the chain, and revive weir classes as themselves', async () => {
    const wrapped = new OperatorError('load', '1/1', 'FatalError: bad config', undefined, { cause: new FatalError('bad config') });
    const revived = reviveError(await throughPort(serializeError(wrapped)));
    expect(isFatal(revived)).toBe(true);
    expect(revived.cause).toBeInstanceOf(FatalError);
    expect((revived.cause as FatalError).code).toBe('WEIR_USER_FATAL');

    const definition = reviveError(await throughPort(serializeError(new JobDefinitionError('no sources'))));
    expect(definition).toBeInstanceOf(JobDefinitionError);
    expect((definition as WeirError).code).toBe('WEIR_JOB_DEFINITION');
  });

  it('describe a thrown non-error value', async () => {
    const revived = reviveError(await throughPort(serializeError('just a string')));
    expect(revived.message).toBe('non-error thrown: just a string');
  });
});

describe('WeirError', () => {
  it('has the code of its class unless given one, and the old constructor shape still works', () => {
    expect(new WeirError('x').code).toBe('WEIR_ERROR');
    expect(new WeirError('x', { code: 'WEIR_SERIALIZATION' }).code).toBe('WEIR_SERIALIZATION');
    const old = new WeirError('x', { cause: new Error('y'), retriable: true, fatal: true });
    expect([old.retriable, old.fatal, (old.cause as Error).message]).toEqual([true, true, 'y']);
    expect(new FatalError('z').fatal).toBe(true);
    expect(new OperatorError('op', '1/1', 'Error: z', undefined).message).toBe("operator 'op' (subtask 1/1) failed: Error: z");
  });
});
