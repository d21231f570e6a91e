import type { MessagePort } from 'node:worker_threads';
import type { WorkerToCoordinator } from '../runtime/messages.ts';

/** The worker's port to the coordinator; set once when the worker starts its task. */
let port: MessagePort | undefined;

export function setCoordinatorPort(value: MessagePort | undefined): void {
  port = value;
}

export function sendToCoordinator(message: WorkerToCoordinator): void {
  if (port === undefined) throw new Error('not running inside a weir worker: there is no coordinator to send to');
  port.postMessage(message);
}
