/** The FanoutLink for a broker URL's transport (see fanout.ts). */
import { AmqpFanoutLink } from './amqp/fanout-link.js';
import type { FanoutLink, FanoutLinkOptions } from './fanout.js';
import { RedisFanoutLink } from './redis/fanout-link.js';
import { transportOf } from './url.js';

/** No I/O until start(); a ConfigError for a URL that is no broker's. */
export function openFanoutLink(options: FanoutLinkOptions): FanoutLink {
  return transportOf(options.brokerUrl) === 'redis' ? new RedisFanoutLink(options) : new AmqpFanoutLink(options);
}

export type * from './fanout.js';
