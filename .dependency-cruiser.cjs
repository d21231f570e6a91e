/**
 * Layering of src/: folders import downwards only, so no import cycle may run between two folders (at any depth), and
 * src/core/ (errors, time constants, signals, durable writes: what every layer uses) imports nothing else of weir.
 * Today's order, top first: cli, testing, index.ts/kafka.ts -> runtime (coordinator and workers, which build the job
 * through the api) -> api -> operators -> connectors; api -> checkpoint -> state; observe and core at the bottom.
 * A definition two folders share (a type, a constant) moves down to the lower one or into core.
 * `npm run lint:deps` checks it; `npm test` runs it before the tests.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycle',
      severity: 'error',
      comment: 'Two folders of src/ import each other, directly or through others: move the shared definition down.',
      scope: 'folder',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'core-is-a-leaf',
      severity: 'error',
      comment: 'src/core/ is the leaf layer: it may import node and npm modules, nothing else of weir.',
      from: { path: '^src/core/' },
      to: { path: '^src/', pathNot: '^src/core/' },
    },
    {
      name: 'kafkajs-behind-the-client',
      severity: 'error',
      comment:
        "Only the Kafka client module (src/connectors/kafka/client/) may import kafkajs: the connectors use weir's own client interface from its index.ts (decision 13).",
      from: { path: '^src/', pathNot: '^src/connectors/kafka/client/' },
      to: { path: '(^|/)node_modules/kafkajs/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // kafkajs is in the graph for the rule that keeps it behind the client module; no other package needs to be.
    includeOnly: '^(src/|node_modules/kafkajs/)',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
