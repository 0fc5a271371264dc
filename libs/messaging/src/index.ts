export * from './command-api/commands.controller';
export * from './command-api.module';
export * from './command-results';
export * from './command-topic/command-topic.module';
export * from './messages-api/messages.controller';
export * from './messages-api.module';
// The relay and the Kafka projector load kafkajs and pg: import them by path where a role needs them
// (`@eddy/messaging/relay/relay.module`, `@eddy/messaging/event-topic/kafka-projector.module`).
export * from './event-topic/event-message';
export * from './jobs-api/jobs.controller';
export * from './jobs-api.module';
