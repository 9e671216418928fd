/**
 * A worker's node name from a template, as Celery's --hostname reads it:
 * `%h` the host name, `%n` its first label, `%d` the rest (the domain),
 * `%%` a percent sign. Pure.
 */
export function expandHostname(template: string, host: string): string {
  const dot = host.indexOf('.');
  const values: Readonly<Record<string, string>> = {
    h: host,
    n: dot === -1 ? host : host.slice(0, dot),
    d: dot === -1 ? '' : host.slice(dot + 1),
    '%': '%',
  };
  return template.replace(/%([hnd%])/g, (_, key: string) => values[key] ?? '');
}
