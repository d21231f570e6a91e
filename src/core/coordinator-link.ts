import type { MessagePort } from 'node:worker_threads';

/** The worker's port to the coordinator; set once when the worker starts its task. */
let port: MessagePort | undefined;

export function setCoordinatorPort(value: MessagePort | undefined): void {
  port = value;
}

/** Posts a message (the runtime's WorkerToCoordinator) to the coordinator of the job this worker runs. */
export function sendToCoordinator<M extends { readonly type: string }>(message: M): void {
  if (port === undefined) throw new Error('not running inside a weir worker: there is no coordinator to send to');
  port.postMessage(message);
}
