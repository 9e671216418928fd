export { enableCeleryEvents, type CeleryEvents, type CeleryEventsOptions, type CeleryEventsReport, type EventsWorker } from './enable.js';
export { EventDispatcher, type DispatcherReport, type EventDispatcherOptions } from './dispatcher.js';
