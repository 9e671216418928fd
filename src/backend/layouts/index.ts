import type { Dialect } from '../../db/dialect.js';
import type { Layout } from '../../db/layout.js';
import { djangoLayout } from './django.js';
import { djceleryLayout } from './djcelery.js';
import type { ResultLayout } from './types.js';

export type { ResultLayout } from './types.js';

/** The result backend's SQL for `layout` on one database; `notify`: stores NOTIFY (PostgreSQL). */
export function resultLayout(layout: Layout, dialect: Dialect, notify: boolean): ResultLayout {
  return layout === 'django' ? djangoLayout(dialect, notify) : djceleryLayout(dialect, notify);
}
