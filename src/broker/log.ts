import { printProblem } from '../core/log-line.js';

/** Receives what goes wrong on a broker connection, whatever the transport (amqplib would otherwise crash the process on 'error'). */
export type BrokerLog = (level: 'info' | 'warn' | 'error', message: string, error?: unknown) => void;

/** The default: warnings and errors as one log line each. */
export const consoleLog: BrokerLog = (level, message, error) => {
  if (level !== 'info') printProblem(level, 'broker', message, error);
};
