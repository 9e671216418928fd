/**
 * Keyset paging for the monitor's lists, newest first. A page ends with a
 * cursor naming its last row (its time and id); the next page starts after
 * it. Unlike an offset, rows the camera inserts meanwhile do not push rows
 * already seen onto the next page. Pure.
 */
import { HttpError } from '../http/responses.js';

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 200;

export interface Cursor {
  readonly at: Date;
  readonly id: number;
}

/** `<epoch ms>.<id>`: opaque to the page, which only hands it back. */
export const encodeCursor = (cursor: Cursor): string => `${cursor.at.getTime()}.${cursor.id}`;

export function decodeCursor(text: string | null): Cursor | null {
  if (text === null || text === '') return null;
  const match = /^(-?\d{1,15})\.(\d{1,15})$/.exec(text);
  if (!match) throw new HttpError(400, `cursor "${text}" is not one this server gave out`);
  return { at: new Date(Number(match[1])), id: Number(match[2]) };
}

export function pageSize(text: string | null): number {
  if (text === null || text === '') return DEFAULT_PAGE_SIZE;
  const size = Number(text);
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new HttpError(400, `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}, got "${text}"`);
  }
  return size;
}

/**
 * The rows of one page from `limit + 1` fetched: the extra row only tells
 * that there is a next page, whose cursor is the last row shown.
 */
export function toPage<R, T>(rows: readonly R[], limit: number, cursorOf: (row: R) => Cursor, view: (row: R) => T): { items: T[]; next: string | null } {
  const shown = rows.slice(0, limit);
  const last = shown.at(-1);
  return { items: shown.map(view), next: rows.length > limit && last !== undefined ? encodeCursor(cursorOf(last)) : null };
}

/** Prisma's where for "after the cursor" in (time desc, id desc) order. */
export function afterCursor<F extends string>(field: F, cursor: Cursor | null): Record<string, unknown> {
  if (cursor === null) return {};
  return { OR: [{ [field]: { lt: cursor.at } }, { [field]: cursor.at, id: { lt: cursor.id } }] };
}

/** A filter value from the query string; empty means no filter. */
export function filterValue(params: URLSearchParams, name: string): string | undefined {
  const value = params.get(name)?.trim();
  return value === undefined || value === '' ? undefined : value;
}
