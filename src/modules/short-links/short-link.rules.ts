import { defineOperations } from '../../core/module';
import { randomInt } from 'node:crypto';
import { BadUserInputError } from '../../kernel/errors';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const GENERATED_SLUG_LENGTH = 7;
const SLUG = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_URL_LENGTH = 2048;
const MAX_TAGS = 20;

/** Paths the server itself answers, or may answer; a link there would be unreachable or confusing. */
export const RESERVED_SLUGS = new Set([
  'graphql',
  'graphiql',
  'healthz',
  'readyz',
  'livez',
  'metrics',
  'api',
  'admin',
  'static',
  'assets',
  'favicon.ico',
  'robots.txt',
  'login',
  'logout',
  'signup',
  'settings',
  'dashboard',
  'console',
  'webhooks',
  '.well-known',
]);

export function generateSlug(): string {
  let slug = '';
  for (let i = 0; i < GENERATED_SLUG_LENGTH; i++) slug += BASE62[randomInt(62)];
  return slug;
}

export function validateSlug(raw: string, field: string): string {
  const slug = raw.trim();
  if (!SLUG.test(slug)) throw new BadUserInputError({ [field]: 'slug must be 1 to 64 characters of A-Z, a-z, 0-9, "_" or "-".' });
  if (RESERVED_SLUGS.has(slug.toLowerCase())) throw new BadUserInputError({ [field]: `"${slug}" is reserved.` });
  return slug;
}

/** http(s) only, no credentials, at most 2048 characters; returns the normalized URL. */
export function validateTargetUrl(raw: string, field: string): string {
  const text = raw.trim();
  if (text.length === 0 || text.length > MAX_URL_LENGTH) {
    throw new BadUserInputError({ [field]: `url must be 1 to ${MAX_URL_LENGTH} characters.` });
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new BadUserInputError({ [field]: 'url must be an absolute http or https URL.' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new BadUserInputError({ [field]: 'url must use http or https.' });
  }
  if (url.username || url.password) throw new BadUserInputError({ [field]: 'url must not contain credentials.' });
  if (!url.hostname) throw new BadUserInputError({ [field]: 'url must have a host.' });
  const normalized = url.toString();
  if (normalized.length > MAX_URL_LENGTH) throw new BadUserInputError({ [field]: `url must be at most ${MAX_URL_LENGTH} characters.` });
  return normalized;
}

export function validateTitle(raw: string | null | undefined, field: string): string | null {
  const title = raw?.trim() ?? '';
  if (title.length > 200) throw new BadUserInputError({ [field]: 'title is at most 200 characters.' });
  return title || null;
}

export function validateTags(raw: string[] | null | undefined, field: string): string[] {
  const tags = [...new Set((raw ?? []).map((t) => t.trim().toLowerCase()).filter(Boolean))];
  if (tags.length > MAX_TAGS) throw new BadUserInputError({ [field]: `at most ${MAX_TAGS} tags.` });
  for (const tag of tags) {
    if (tag.length > 40 || !/^[\p{L}\p{N}_ .:-]+$/u.test(tag)) {
      throw new BadUserInputError({ [field]: 'tags are up to 40 letters, digits, spaces, "_", ".", ":" or "-".' });
    }
  }
  return tags;
}

/**
 * The scope each mutation of this feature needs, declared once: the resolver's `@Requires`, the
 * service's `changes.run` (checked again at commit) and the manifest take it from here, and the
 * schema refuses to build when a mutation's `@requires` differs.
 */
export const SHORT_LINK_OPERATIONS = defineOperations({
  createShortLink: 'shortLinks:create',
  updateShortLink: 'shortLinks:update',
  deleteShortLink: 'shortLinks:delete',
});
