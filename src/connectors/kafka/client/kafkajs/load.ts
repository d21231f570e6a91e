/**
 * kafkajs, as the project imports it: with its read_committed and per-partition grouping fixes applied before kafkajs loads (ES modules evaluate
 * their imports in order). Every import of kafkajs's values goes through here; type-only imports may go direct.
 */
import './read-committed-fix.ts';
import './grouping-fix.ts';

export { AssignerProtocol, Kafka, logLevel, Partitioners } from 'kafkajs';
export { default as kafkajs } from 'kafkajs';
