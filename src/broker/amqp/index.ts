export { connectBroker, type BrokerLog, type ConnectOptions } from './connect.js';
export { BrokerError } from './errors.js';
export { TaskPublisher, type TaskPublisherOptions } from './task-publisher.js';
