/** A line of the CLI's log (src/cli/log.ts): ISO time, level, component, message. */
export const LOG_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO |WARN |ERROR) \S+ +\S.*$/;
